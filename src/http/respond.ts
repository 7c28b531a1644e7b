import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { StoredResponse } from "../domain/requests/requests.js";

/**
 * Sends a serialised response. The same bytes are stored for idempotent replay, so the first answer
 * and every replay are identical. Typed `never` so route handlers, whose declared responses the
 * OpenAPI document describes, can return it.
 */
export function sendStored(c: Context, response: StoredResponse, replayed = false): never {
  const headers: Record<string, string> = { "content-type": "application/json; charset=utf-8" };
  if (replayed) headers["idempotent-replayed"] = "true";
  return c.body(response.body, response.status as ContentfulStatusCode, headers) as never;
}

export function sendJson(c: Context, status: number, body: unknown): never {
  return sendStored(c, { status, body: JSON.stringify(body) });
}
