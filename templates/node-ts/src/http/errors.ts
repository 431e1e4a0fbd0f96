// The API's errors and their JSON envelope:
// {"error": {"code", "message", "request_id", "fields"?}}.

// Node's reason phrases. Not through `import ... from "node:http"`: the ES
// module namespace of node:http loads Node's WebSocket client with it
// (nodejs/node#59686), tens of milliseconds of every Lambda cold start.
const { STATUS_CODES } = process.getBuiltinModule("node:http");

/** An error that knows how the API answers it. */
export class ApiError extends Error {
  override name = "ApiError";
  readonly status: number;
  readonly code: string;
  // Each invalid field of the request body, with what is wrong with it.
  readonly fields: Record<string, string> | undefined;

  constructor(
    status: number,
    code: string,
    message: string,
    fields?: Record<string, string>,
  ) {
    super(message);
    this.status = status;
    this.code = code;
    this.fields = fields;
  }
}

export interface ErrorBody {
  error: {
    code: string;
    message: string;
    request_id: string;
    fields?: Record<string, string>;
  };
}

export function errorBody(error: ApiError, requestId: string): ErrorBody {
  return {
    error: {
      code: error.code,
      message: error.message,
      request_id: requestId,
      ...(error.fields === undefined ? {} : { fields: error.fields }),
    },
  };
}

/** A 400: the request cannot be understood. */
export function badRequest(message: string): ApiError {
  return new ApiError(400, "bad_request", message);
}

export function notFound(message: string): ApiError {
  return new ApiError(404, "not_found", message);
}

export function methodNotAllowed(method: string, path: string): ApiError {
  return new ApiError(
    405,
    "method_not_allowed",
    `${method} is not allowed on ${path}`,
  );
}

/** A 422: well-formed JSON whose content is wrong. */
export function invalid(fields: Record<string, string>): ApiError {
  return new ApiError(
    422,
    "validation_failed",
    "the request body has invalid fields",
    fields,
  );
}

export function tooLarge(limit: number): ApiError {
  return new ApiError(
    413,
    "payload_too_large",
    `the request body is larger than ${limit} bytes`,
  );
}

export function timedOut(): ApiError {
  return new ApiError(
    504,
    "timeout",
    "the request took longer than the server allows",
  );
}

/** A 500. It tells the client nothing about the cause: that is for the logs. */
export function internal(): ApiError {
  return new ApiError(500, "internal", "internal server error");
}

/** Any other status, with a code made of its reason phrase
 * ("Unsupported Media Type" is unsupported_media_type). */
export function fromStatus(status: number, message: string): ApiError {
  const code = (STATUS_CODES[status] ?? "error")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_");
  return new ApiError(status, code, message);
}
