import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppDeps, AppEnv } from "./env.js";
import { ApiError } from "../errors.js";
import { sendError, validationError } from "./middleware/errors.js";

export type Router = OpenAPIHono<AppEnv>;
export type RegisterRoute = (app: Router, deps: AppDeps) => void;

/** An OpenAPIHono whose validation failures answer in the contract's error shape. */
export function createRouter(): Router {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (result.success) return;
      // A path parameter is an id (schemas/common.ts idParam): one that is malformed names nothing,
      // answered like an id that does not exist, with no hint of what a well-formed one looks like.
      if (result.target === "param") {
        const id = Object.values(c.req.param()).join("/");
        return sendError(c as never, new ApiError("resource_missing", `No such object: '${id}'`));
      }
      const input = result.target === "json" ? c.var.body : result.target === "query" ? c.req.query() : c.req.param();
      return sendError(c as never, validationError(result.error, input));
    },
  });
}
