import { timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { ApiError } from "../../errors.js";
import type { AppEnv } from "../env.js";
import { sendError } from "../middleware/errors.js";

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The operator token, as `Authorization: Bearer <token>` or, for a browser, HTTP Basic with the token as
 * password (any user name). A browser without credentials is asked for them (WWW-Authenticate).
 */
export function requireAdminToken(token: string): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const bearer = /^Bearer\s+(.+)$/i.exec(header)?.[1];
    const basic = /^Basic\s+(.+)$/i.exec(header)?.[1];
    const password = basic ? Buffer.from(basic, "base64").toString("utf8").split(":").slice(1).join(":") : undefined;
    const presented = bearer ?? password;
    if (presented !== undefined && sameSecret(presented, token)) return next();
    c.header("WWW-Authenticate", 'Basic realm="loyalty-redemptions operator", charset="UTF-8"');
    return sendError(c, new ApiError(presented === undefined ? "api_key_missing" : "api_key_invalid", "Operator token required."));
  };
}
