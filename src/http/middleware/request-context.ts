import type { MiddlewareHandler } from "hono";
import type { Logger } from "pino";
import { newId } from "../../ids.js";
import type { AppEnv } from "../env.js";

/** Gives every request an id (echoed as `Request-Id` on every response) and a logger bound to it. */
export function requestContext(logger: Logger): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const requestId = newId("request");
    const started = performance.now();
    c.set("requestId", requestId);
    c.set("logger", logger.child({ request_id: requestId }));
    c.header("Request-Id", requestId);
    await next();
    c.var.logger.info(
      { method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round(performance.now() - started) },
      "request",
    );
  };
}
