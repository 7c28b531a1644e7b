import type { MiddlewareHandler } from "hono";
import { ApiError } from "../../errors.js";
import type { AppEnv } from "../env.js";
import { decodeUtf8, findUnacceptableText } from "../../input-rules.js";

/**
 * Reads and parses the JSON body of writes once, before validation, so malformed JSON gets the
 * contract's `body_invalid` and the idempotency layer can hash what was sent. An empty body is `{}`.
 * The bytes are decoded as strict UTF-8 and every string and key must pass the text rule
 * (input-rules.ts), so no route's schema has to remember either.
 */
export const jsonBody: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (c.req.method !== "POST" && c.req.method !== "PATCH") return next();
  const text = decodeUtf8(await c.req.arrayBuffer());
  if (text === null) throw new ApiError("body_invalid", "The request body is not valid UTF-8.");
  // The route's validator re-reads the body from Hono's cache: give it exactly the text decoded here
  // (not a lossy re-decoding of the bytes), and `{}` for an empty body, as this middleware counts it.
  // (Hono stores the promise under the method name; its type says otherwise.)
  (c.req.bodyCache as Record<string, unknown>).text = Promise.resolve(text.trim() === "" ? "{}" : text);
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
  const bad = findUnacceptableText(parsed);
  if (bad) {
    const param = bad.join(".");
    throw new ApiError("parameter_invalid", `Invalid ${param}: text must be well-formed Unicode without NUL characters.`, param);
  }
  c.set("body", parsed);
  await next();
};
