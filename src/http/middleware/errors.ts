import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ZodError } from "zod";
import { dataErrorRefusal, DATA_ERROR_LOG, isDataError } from "../../db/data-errors.js";
import { ApiError } from "../../errors.js";
import { isOutage } from "../../ops/outages.js";
import type { AppEnv } from "../env.js";
import { sendJson } from "../respond.js";

export function sendError(c: Context<AppEnv>, error: ApiError): never {
  if (error.retryAfter !== undefined) c.header("Retry-After", String(error.retryAfter));
  return sendJson(c, error.status, error.body(c.var.requestId));
}

export const onError: ErrorHandler<AppEnv> = (error, c) => {
  if (error instanceof ApiError) return sendError(c, error);
  if (error instanceof HTTPException && error.status === 413) {
    return sendError(c, new ApiError("body_too_large", "The request body is larger than 64 KiB."));
  }
  if (error instanceof HTTPException && error.status < 500) {
    return sendError(c, new ApiError("body_invalid", error.message || "The request body could not be read."));
  }
  if (isDataError(error)) {
    c.var.logger?.error({ err: error }, DATA_ERROR_LOG);
    return sendError(c, dataErrorRefusal());
  }
  if (isOutage(error)) {
    // Reported once per outage by the dependency monitor, not once per request.
    c.var.logger?.debug({ err: error }, "dependency unavailable");
    return sendError(c, new ApiError("service_unavailable", "The service is briefly unavailable; retry with the same Idempotency-Key.", undefined, 1));
  }
  c.var.logger?.error({ err: error }, "unhandled error");
  return sendError(c, new ApiError("internal_error", "An unexpected error occurred."));
};

export const onNotFound: NotFoundHandler<AppEnv> = (c) =>
  sendError(c, new ApiError("resource_missing", `Unrecognized request URL (${c.req.method} ${c.req.path}).`));

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** Turns the first zod issue into the contract's 400: `parameter_missing` or `parameter_invalid`, with `param`. */
export function validationError(error: ZodError, input: unknown): ApiError {
  const issue = error.issues[0]!;
  if (issue.code === "unrecognized_keys") {
    const key = [...issue.path, issue.keys[0]].join(".");
    return new ApiError("parameter_invalid", `Received unknown parameter: ${key}`, key);
  }
  const path = issue.path.length > 0 ? issue.path : issue.code === "invalid_union" ? ["type"] : [];
  const param = path.map(String).join(".") || undefined;
  const missing = path.length > 0 && valueAt(input, path) === undefined;
  if (missing) return new ApiError("parameter_missing", `Missing required parameter: ${param}.`, param);
  return new ApiError("parameter_invalid", param ? `Invalid ${param}: ${issue.message}` : issue.message, param);
}
