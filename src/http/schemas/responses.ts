import { z } from "@hono/zod-openapi";
import { ERROR_CODES, type ErrorCode } from "../../errors.js";

/**
 * The responses of an operation as documented: its success answer and, per status, the error codes it
 * can give (an enum on `error.code`, with an example), and the headers each answer carries
 * (docs/api.md §1.2 Request-Id, §1.4 Idempotent-Replayed, §1.7 RateLimit-*, §1.5 Retry-After).
 */

const header = (description: string, schema: Record<string, unknown>) => ({ description, schema });
const HEADERS = {
  "Request-Id": header("The id of this request (`req_…`); the same id is in every error body and in the service's logs.", { type: "string", example: "req_4f8Hq2LmX0aZ9cT1rVbN7eKd" }),
  "Idempotent-Replayed": header("`true` when this is the stored answer to an earlier request with the same `Idempotency-Key` (nothing was done again).", { type: "string", enum: ["true"], example: "true" }),
  "Retry-After": header("Seconds to wait before retrying (with the same `Idempotency-Key`).", { type: "integer", minimum: 1, example: 1 }),
  "RateLimit-Limit": header("Requests a second this limit allows (present while rate limits are on, §1.7).", { type: "integer", example: 100 }),
  "RateLimit-Remaining": header("Requests the key could make right now: what is left in its token bucket (§1.7).", { type: "integer", example: 99 }),
  "RateLimit-Reset": header("Whole seconds until the key's bucket is full again.", { type: "integer", minimum: 1, example: 1 }),
} as const;
type HeaderName = keyof typeof HEADERS;

/** Example messages, one per code: what a client sees (program against `code`, not `message`). */
const EXAMPLES: Record<ErrorCode, { message: string; param?: string }> = {
  parameter_missing: { message: "Missing required parameter: shipping.", param: "shipping" },
  parameter_invalid: { message: "Invalid parameter: quantity must be an integer between 1 and 1000.", param: "quantity" },
  body_invalid: { message: "The request body is not a JSON object." },
  api_key_missing: { message: "No API key provided: send Authorization: Bearer sk_test_…" },
  api_key_invalid: { message: "Invalid API key." },
  signature_invalid: { message: "The webhook signature could not be verified." },
  resource_missing: { message: "No such reward: 'rwd_8sd2k1'", param: "reward" },
  idempotency_conflict: { message: "This Idempotency-Key was already used with a different request." },
  idempotency_in_progress: { message: "A request with this Idempotency-Key is still in progress." },
  body_too_large: { message: "The request body is larger than 65536 bytes." },
  insufficient_points: { message: "The account's balance (300) does not cover 500 points." },
  reward_inactive: { message: "The reward is not active." },
  reward_out_of_stock: { message: "Not enough inventory for quantity 2." },
  account_closed: { message: "The account is closed." },
  invalid_state_transition: { message: "A redemption in status 'released' cannot be fulfilled." },
  redemption_already_applied: { message: "The discount was applied by a completed payment: refund the order instead." },
  currency_mismatch: { message: "The payment's currency (USD) differs from the discount's (EUR).", param: "discounts" },
  balance_limit_exceeded: { message: "The award would take the balance past 9007199254740990 points.", param: "amount" },
  rate_limited: { message: "Too many requests; retry after the number of seconds in Retry-After." },
  internal_error: { message: "An unexpected error occurred; retry with the same Idempotency-Key to learn whether the request ran." },
  outcome_unknown: { message: "The outcome could not be read in time; retry with the same Idempotency-Key to learn it." },
  service_unavailable: { message: "The request was not carried out; retry with the same Idempotency-Key after Retry-After seconds." },
};

const STATUS_DESCRIPTIONS: Record<number, string> = {
  400: "Invalid request: a parameter is missing or invalid, or the body is not a JSON object",
  401: "Missing or invalid API key",
  404: "No such object for this merchant and mode",
  409: "The Idempotency-Key was already used with a different request",
  413: "The body is larger than 64 KiB",
  422: "Refused by a business rule; nothing changed",
  429: "Rate limited; nothing happened, retry after Retry-After",
  500: "Unexpected fault, or an outcome that could not be read; retry with the same Idempotency-Key",
  503: "Not carried out, and never will be; retry with the same Idempotency-Key after Retry-After",
};

/** The error body (§1.3) restricted to `codes`, all of one status. */
export function errorSchemaFor(codes: readonly ErrorCode[]) {
  const types = [...new Set(codes.map((code) => ERROR_CODES[code].type))];
  const first = codes[0]!;
  const example = { type: ERROR_CODES[first].type, code: first, ...EXAMPLES[first], request_id: "req_4f8Hq2LmX0aZ9cT1rVbN7eKd" };
  return z
    .object({
      error: z
        .object({
          type: z.enum(types as [string, ...string[]]).openapi({ description: "The class of error; each code has exactly one type.", example: example.type }),
          code: z.enum(codes as unknown as [string, ...string[]]).openapi({ description: "What went wrong, for programs: each code has exactly one HTTP status (docs/api.md §1.3).", example: first }),
          message: z.string().openapi({ description: "For humans; may change. Program against `code`.", example: example.message }),
          param: z.string().optional().openapi({ description: "The parameter to blame, when one is: a body field (`shipping`, `card.number`), a query parameter or the `Idempotency-Key` header.", example: example.param ?? "reward" }),
          request_id: z.string().openapi({ description: "The request's id, as in the `Request-Id` header.", example: example.request_id }),
        })
        .openapi({ description: "What was refused and why." }),
    })
    .openapi({ description: `An error: ${codes.map((code) => `\`${code}\``).join(", ")}.`, example: { error: example } });
}

type Kind = "read" | "write" | "inbound";
type Success = Record<number, { description: string; content?: Record<string, { schema: z.ZodType }> }>;

const headersOf = (names: HeaderName[]) => Object.fromEntries(names.map((name) => [name, HEADERS[name]]));

function headerNames(kind: Kind, status: number): HeaderName[] {
  const names: HeaderName[] = ["Request-Id"];
  // Idempotent-Replayed: a write's stored answers (2xx and the refusals decided while it ran, §1.4).
  if (kind === "write" && (status < 300 || status === 400 || status === 404 || status === 422)) names.push("Idempotent-Replayed");
  if (status === 429 || status === 503 || status === 500) names.push("Retry-After");
  names.push("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset");
  return names;
}

const BASE: Record<Kind, ErrorCode[]> = {
  read: ["parameter_invalid", "api_key_missing", "api_key_invalid", "rate_limited", "internal_error", "service_unavailable"],
  write: ["parameter_invalid", "body_invalid", "api_key_missing", "api_key_invalid", "idempotency_conflict", "body_too_large", "rate_limited", "internal_error", "service_unavailable"],
  inbound: ["body_invalid", "signature_invalid", "body_too_large", "rate_limited", "internal_error", "service_unavailable"],
};

/** Success responses with their headers, and one error response per status with the codes it can carry. */
export function responses(kind: Kind, success: Success, extra: ErrorCode[] = []) {
  const byStatus = new Map<number, ErrorCode[]>();
  // The specific codes first, so the example of each status is the operation's own (e.g. insufficient_points).
  for (const code of [...extra, ...BASE[kind]]) {
    const status = ERROR_CODES[code].status;
    const codes = byStatus.get(status) ?? [];
    if (!codes.includes(code)) codes.push(code);
    byStatus.set(status, codes);
  }
  const out: Record<number, unknown> = {};
  for (const [status, response] of Object.entries(success)) out[Number(status)] = { ...response, headers: headersOf(headerNames(kind, Number(status))) };
  for (const status of [...byStatus.keys()].sort()) {
    const codes = byStatus.get(status)!;
    out[status] = {
      description: `${STATUS_DESCRIPTIONS[status]} (${codes.join(", ")})`,
      headers: headersOf(headerNames(kind, status)),
      content: { "application/json": { schema: errorSchemaFor(codes) } },
    };
  }
  return out as Success;
}

export const readResponses = (success: Success, extra: ErrorCode[] = []) => responses("read", success, extra);
export const writeResponses = (success: Success, extra: ErrorCode[] = []) => responses("write", success, extra);
