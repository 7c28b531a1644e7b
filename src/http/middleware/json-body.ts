import type { MiddlewareHandler } from "hono";
import { ApiError } from "../../errors.js";
import type { AppEnv } from "../env.js";

/**
 * Reads and parses the JSON body of writes once, before validation, so malformed JSON gets the
 * contract's `body_invalid` and the idempotency layer can hash what was sent. An empty body is `{}`.
 * (The validator re-reads the body from Hono's cache, not from the socket.)
 */
export const jsonBody: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (c.req.method !== "POST" && c.req.method !== "PATCH") return next();
  const text = await c.req.text();
  if (text.trim() === "") {
    c.set("body", {});
    return next();
  }
  if (!/^application\/([\w.+-]+\+)?json\b/i.test(c.req.header("content-type") ?? "")) {
    throw new ApiError("body_invalid", "Send the body as JSON with 'Content-Type: application/json'.");
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ApiError("body_invalid", "The request body is not valid JSON.");
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new ApiError("body_invalid", "The request body must be a JSON object.");
  }
  c.set("body", parsed);
  await next();
};
