import type { MiddlewareHandler } from "hono";
import type { Db, Scope } from "../../db/database.js";
import { findScopeByApiKey } from "../../domain/merchants/merchants.js";
import { ApiError } from "../../errors.js";
import type { AppEnv } from "../env.js";

const KEY_FORMAT = /^sk_(test|live)_[A-Za-z0-9]{16,128}$/;

/**
 * Known keys are remembered for a short while, saving a Postgres round trip on every request. The
 * cost: a revoked key keeps working for up to this long in each web process.
 */
export const KEY_CACHE_TTL_MS = 30_000;
const KEY_CACHE_MAX = 10_000;

/** Bearer secret key (or X-Api-Key). The key alone decides the merchant and the mode. */
export function authenticate(db: Db): MiddlewareHandler<AppEnv> {
  const cache = new Map<string, { scope: Scope; until: number }>();
  const lookup = async (key: string): Promise<Scope | null> => {
    const hit = cache.get(key);
    if (hit && hit.until > Date.now()) return hit.scope;
    const scope = await findScopeByApiKey(db, key);
    cache.delete(key);
    if (scope) {
      if (cache.size >= KEY_CACHE_MAX) cache.delete(cache.keys().next().value!);
      cache.set(key, { scope, until: Date.now() + KEY_CACHE_TTL_MS });
    }
    return scope;
  };
  return async (c, next) => {
    const header = c.req.header("authorization");
    const key = header ? /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] ?? "" : c.req.header("x-api-key")?.trim();
    if (key === undefined || (header === undefined && key === "")) {
      throw new ApiError("api_key_missing", "No API key provided. Use 'Authorization: Bearer sk_test_…'.");
    }
    const scope = KEY_FORMAT.test(key) ? await lookup(key) : null;
    if (!scope) throw new ApiError("api_key_invalid", "Invalid API key provided.");
    c.set("scope", scope);
    await next();
  };
}
