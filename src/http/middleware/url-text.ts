import type { MiddlewareHandler } from "hono";
import { ApiError } from "../../errors.js";
import type { AppEnv } from "../env.js";
import { decodeComponent } from "../../input-rules.js";

/**
 * The text rule (input-rules.ts) for the URL of every /v1 request, before routing reaches a handler:
 * each path segment and each query name and value must percent-decode to well-formed UTF-8 without NUL.
 * (Hono and URLSearchParams would pass a bad sequence through raw or as U+FFFD.) A path that breaks it
 * cannot name anything: 404, like an id that does not exist. A query parameter that breaks it: 400.
 */
export const urlText: MiddlewareHandler<AppEnv> = async (c, next) => {
  const url = new URL(c.req.url);
  for (const segment of url.pathname.split("/")) {
    if (decodeComponent(segment) === null) {
      throw new ApiError("resource_missing", `Unrecognized request URL (${c.req.method} ${url.pathname}).`);
    }
  }
  for (const pair of url.search.slice(1).split("&")) {
    if (pair === "") continue;
    const [rawName = "", ...rest] = pair.replaceAll("+", " ").split("=");
    const name = decodeComponent(rawName);
    if (name === null || decodeComponent(rest.join("=")) === null) {
      const param = name ?? rawName;
      throw new ApiError("parameter_invalid", `Invalid ${param}: text must be well-formed UTF-8 without NUL characters.`, param);
    }
  }
  await next();
};
