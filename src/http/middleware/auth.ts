import type { MiddlewareHandler } from "hono";
import type { Db } from "../../db/database.js";
import { findScopeByApiKey } from "../../domain/merchants/merchants.js";
import { ApiError } from "../../errors.js";
import type { AppEnv } from "../env.js";

const KEY_FORMAT = /^sk_(test|live)_[A-Za-z0-9]{16,128}$/;

/** Bearer secret key (or X-Api-Key). The key alone decides the merchant and the mode. */
export function authenticate(db: Db): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header("authorization");
    const key = header ? /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] ?? "" : c.req.header("x-api-key")?.trim();
    if (key === undefined || (header === undefined && key === "")) {
      throw new ApiError("api_key_missing", "No API key provided. Use 'Authorization: Bearer sk_test_…'.");
    }
    const scope = KEY_FORMAT.test(key) ? await findScopeByApiKey(db, key) : null;
    if (!scope) throw new ApiError("api_key_invalid", "Invalid API key provided.");
    c.set("scope", scope);
    await next();
  };
}
