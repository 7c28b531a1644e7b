import { getConnInfo } from "@hono/node-server/conninfo";
import type { Context, MiddlewareHandler } from "hono";
import { hashApiKey } from "../../domain/merchants/merchants.js";
import { ApiError } from "../../errors.js";
import type { ApiKeyCache } from "../key-cache.js";
import type { AppEnv } from "../env.js";
import { clientAddress, type RateLimits } from "../rate-limits.js";

const KEY_FORMAT = /^sk_(test|live)_[A-Za-z0-9]{16,128}$/;

export { KEY_CACHE_TTL_MS } from "../key-cache.js";

/** The socket's remote address; none when the app is called in-process (tests' `app.request`). */
const socketAddress = (c: Context): string | undefined => {
  try {
    return getConnInfo(c).remote.address;
  } catch {
    return undefined;
  }
};

/**
 * Bearer secret key (or X-Api-Key). The key alone decides the merchant and the mode. Rate limits
 * (docs/api.md §1.7): a missing or invalid key counts against the client address's failure budget
 * (past it: 429 instead of 401); a valid key counts against its own budget, whatever the address.
 */
export function authenticate(keys: ApiKeyCache, limits: RateLimits, trustProxy: number): MiddlewareHandler<AppEnv> {
  const refuse = async (c: Context<AppEnv>, error: ApiError): Promise<never> => {
    await limits.enforce(c, limits.authFailures, clientAddress(c, trustProxy, socketAddress));
    throw error;
  };
  return async (c, next) => {
    const header = c.req.header("authorization");
    const apiKeyHeader = c.req.header("x-api-key");
    const bearer = header === undefined ? undefined : (/^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] ?? "");
    const fromHeader = apiKeyHeader?.trim();
    if (bearer !== undefined && fromHeader !== undefined && bearer !== fromHeader) {
      throw new ApiError("parameter_invalid", "Two different API keys were sent (Authorization and X-Api-Key); send one.", "authorization");
    }
    const key = bearer ?? fromHeader;
    if (key === undefined || (header === undefined && key === "")) {
      return refuse(c, new ApiError("api_key_missing", "No API key provided. Use 'Authorization: Bearer sk_test_…'."));
    }
    const keyHash = KEY_FORMAT.test(key) ? hashApiKey(key) : null;
    const found = keyHash ? await keys.lookup(keyHash) : null;
    if (!found || !keyHash) return refuse(c, new ApiError("api_key_invalid", "Invalid API key provided."));
    // Keyed by the key's hash: the key itself is never written to Redis.
    await limits.enforce(c, limits.apiKey, keyHash);
    c.set("scope", found.scope);
    await next();
  };
}
