import { randomUUID } from "node:crypto";

// What a client's X-Request-ID must look like to be reused: it is echoed in
// headers and written to logs.
const VALID_REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** A random id, for items, orders and requests. */
export function newId(): string {
  return randomUUID();
}

/** The caller's request id when it is valid, a new one otherwise. */
export function requestId(sent: string | string[] | undefined): string {
  return typeof sent === "string" && VALID_REQUEST_ID.test(sent)
    ? sent
    : newId();
}
