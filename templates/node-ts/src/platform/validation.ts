import * as z from "zod";

import { badRequest, invalid } from "../http/errors.ts";

/** An integer from `min` to `max`. As in JSON Schema, a number with an
 * integral value is an integer whatever its spelling: JSON.parse has already
 * made 1033.0 and 1.033e3 the number 1033. A string or a boolean is none. */
export function integer(min: number, max: number) {
  const range = `must be between ${min} and ${max}`;
  return (
    z
      .number({ error: "must be an integer" })
      // Aborts, so that 1.5 is not also out of range; z.int() would call
      // 1e300 no integer, where it is one too large.
      .refine(Number.isInteger, { error: "must be an integer", abort: true })
      .min(min, { error: range })
      .max(max, { error: range })
  );
}

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
