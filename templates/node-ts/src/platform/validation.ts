import type * as z from "zod";

import { badRequest, invalid } from "../http/errors.ts";

/** `body` parsed by `schema`; a 400 when it is no JSON object, a 422 naming
 * each invalid field otherwise. */
export function fieldErrors<T extends z.ZodType>(
  schema: T,
  body: unknown,
): z.output<T> {
  if (body === undefined || body === null || body === "") {
    throw badRequest("the request body is empty");
  }
  if (typeof body !== "object" || Array.isArray(body)) {
    throw badRequest("the request body must be a JSON object");
  }
  const result = schema.safeParse(body);
  if (result.success) {
    return result.data;
  }
  const fields: Record<string, string> = {};
  for (const issue of result.error.issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        fields[key] = "is not a known field";
      }
      continue;
    }
    const name = issue.path.join(".");
    const missing = issue.path.length === 1 && !(name in body);
    fields[name] ??= missing ? "is required" : issue.message;
  }
  throw invalid(fields);
}
