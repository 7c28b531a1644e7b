import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppDeps, AppEnv } from "./env.js";
import { sendError, validationError } from "./middleware/errors.js";

export type Router = OpenAPIHono<AppEnv>;
export type RegisterRoute = (app: Router, deps: AppDeps) => void;

/** An OpenAPIHono whose validation failures answer in the contract's error shape. */
export function createRouter(): Router {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (result.success) return;
      const input = result.target === "json" ? c.var.body : result.target === "query" ? c.req.query() : c.req.param();
      return sendError(c as never, validationError(result.error, input));
    },
  });
}
