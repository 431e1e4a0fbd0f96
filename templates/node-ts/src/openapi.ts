// The API's OpenAPI document, api/openapi.json, which the service serves at
// /openapi.json.
import { readFileSync } from "node:fs";

// Read once, at start-up. The document sits at the project root, one level
// above this module wherever it runs: src/ from source, dist/ compiled, and
// dist/ in the Lambda package, which carries api/ beside it.
export const OPENAPI_DOCUMENT = readFileSync(
  new URL("../api/openapi.json", import.meta.url),
  "utf8",
);
