// The API's OpenAPI document, api/openapi.json, which the service serves at
// /openapi.json.
import { readFileSync } from "node:fs";

// Read once, at start-up. The document sits at the project root, two levels
// above this module wherever it runs: src/http from source, dist/http compiled.
export const OPENAPI_DOCUMENT = readFileSync(
  new URL("../../api/openapi.json", import.meta.url),
  "utf8",
);
