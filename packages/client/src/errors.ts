/**
 * The contract's error vocabulary (docs/api.md §1.3): every code with its one HTTP status and type.
 * A test in the service's repository checks this list against the server's, and against the codes
 * the OpenAPI document declares once it declares them.
 */
export const ERROR_CODES = {
  parameter_missing: { status: 400, type: "invalid_request_error" },
  parameter_invalid: { status: 400, type: "invalid_request_error" },
  body_invalid: { status: 400, type: "invalid_request_error" },
  api_key_missing: { status: 401, type: "authentication_error" },
  api_key_invalid: { status: 401, type: "authentication_error" },
  signature_invalid: { status: 401, type: "authentication_error" },
  resource_missing: { status: 404, type: "invalid_request_error" },
  idempotency_conflict: { status: 409, type: "idempotency_error" },
  idempotency_in_progress: { status: 409, type: "idempotency_error" },
  body_too_large: { status: 413, type: "invalid_request_error" },
  insufficient_points: { status: 422, type: "invalid_request_error" },
  reward_inactive: { status: 422, type: "invalid_request_error" },
  reward_out_of_stock: { status: 422, type: "invalid_request_error" },
  account_closed: { status: 422, type: "invalid_request_error" },
  invalid_state_transition: { status: 422, type: "invalid_request_error" },
  redemption_already_applied: { status: 422, type: "invalid_request_error" },
  currency_mismatch: { status: 422, type: "invalid_request_error" },
  balance_limit_exceeded: { status: 422, type: "invalid_request_error" },
  rate_limited: { status: 429, type: "rate_limit_error" },
  internal_error: { status: 500, type: "api_error" },
  outcome_unknown: { status: 500, type: "api_error" },
  service_unavailable: { status: 503, type: "api_error" },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;
export type ErrorType = (typeof ERROR_CODES)[ErrorCode]["type"];
/** The codes an error of `type` can carry. */
export type ErrorCodeOf<T extends ErrorType> = { [C in ErrorCode]: (typeof ERROR_CODES)[C]["type"] extends T ? C : never }[ErrorCode];

/** Everything this package throws. */
export class LoyaltyError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export interface APIErrorFields {
  status: number;
  type: ErrorType;
  code: ErrorCode;
  message: string;
  param: string | undefined;
  requestId: string | null;
  headers: Record<string, string>;
}

/** The server answered with an error (docs/api.md §1.3). Program against `code`, not `message`. */
export class LoyaltyAPIError extends LoyaltyError {
  readonly status: number;
  readonly type: ErrorType;
  readonly code: ErrorCode;
  /** The parameter (body field, query parameter or header) to blame, when one is. */
  readonly param: string | undefined;
  /** The Request-Id of the answer: quote it when you ask for help. */
  readonly requestId: string | null;
  readonly headers: Record<string, string>;

  constructor(fields: APIErrorFields) {
    super(fields.message);
    this.status = fields.status;
    this.type = fields.type;
    this.code = fields.code;
    this.param = fields.param;
    this.requestId = fields.requestId;
    this.headers = fields.headers;
  }
}

/** 400, 404, 413, 422: the request cannot succeed as sent. */
export class InvalidRequestError extends LoyaltyAPIError {
  declare readonly type: "invalid_request_error";
  declare readonly code: ErrorCodeOf<"invalid_request_error">;
}
/** 404 resource_missing: no such object for this merchant and mode (or no such URL). */
export class NotFoundError extends InvalidRequestError {
  declare readonly code: "resource_missing";
}
/** 401: the key is missing, malformed, unknown, revoked or expired. */
export class AuthenticationError extends LoyaltyAPIError {
  declare readonly type: "authentication_error";
  declare readonly code: ErrorCodeOf<"authentication_error">;
}
/** 409: the Idempotency-Key was used with a different request (or its first request is still running). */
export class IdempotencyError extends LoyaltyAPIError {
  declare readonly type: "idempotency_error";
  declare readonly code: ErrorCodeOf<"idempotency_error">;
}
/** 429, after the client's own retries: nothing happened; `retryAfter` says when to try again. */
export class RateLimitError extends LoyaltyAPIError {
  declare readonly type: "rate_limit_error";
  declare readonly code: ErrorCodeOf<"rate_limit_error">;
  /** Seconds, from the Retry-After header. */
  get retryAfter(): number | undefined {
    return retryAfterSeconds(this.headers["retry-after"]);
  }
}
/**
 * 500 or 503, after the client's own retries. `service_unavailable`: not carried out, never will be;
 * `outcome_unknown`: retry with the same idempotency key to learn it; `internal_error`: may have run.
 */
export class APIError extends LoyaltyAPIError {
  declare readonly type: "api_error";
  declare readonly code: ErrorCodeOf<"api_error">;
}

/** No HTTP answer: connection refused or reset, DNS, or the per-attempt timeout (after the retries). */
export class APIConnectionError extends LoyaltyError {
  constructor(
    message: string,
    readonly timedOut: boolean,
    cause?: unknown,
  ) {
    super(message, { cause });
  }
}

/** The server answered something that is not the contract's JSON (a proxy's HTML page, say). */
export class UnexpectedResponseError extends LoyaltyError {
  constructor(
    message: string,
    readonly status: number,
    readonly requestId: string | null,
    readonly headers: Record<string, string>,
  ) {
    super(message);
  }
}

/** `client.webhooks.verify` refused the delivery: bad signature, stale timestamp, missing headers, not JSON. */
export class WebhookVerificationError extends LoyaltyError {}

interface ErrorBody {
  error?: { type?: unknown; code?: unknown; message?: unknown; param?: unknown; request_id?: unknown };
}

const isErrorCode = (code: unknown): code is ErrorCode => typeof code === "string" && Object.hasOwn(ERROR_CODES, code);

/** The error class for an error answer. A code this version does not know keeps its value; its type decides the class. */
export function errorFromResponse(status: number, body: unknown, headers: Record<string, string>): LoyaltyAPIError {
  const error = (body as ErrorBody | undefined)?.error ?? {};
  const code = (typeof error.code === "string" ? error.code : status >= 500 ? "internal_error" : "parameter_invalid") as ErrorCode;
  const type = (typeof error.type === "string" ? error.type : isErrorCode(code) ? ERROR_CODES[code].type : status >= 500 ? "api_error" : "invalid_request_error") as ErrorType;
  const fields: APIErrorFields = {
    status,
    type,
    code,
    message: typeof error.message === "string" ? error.message : `HTTP ${status}`,
    param: typeof error.param === "string" ? error.param : undefined,
    requestId: typeof error.request_id === "string" ? error.request_id : (headers["request-id"] ?? null),
    headers,
  };
  switch (type) {
    case "authentication_error":
      return new AuthenticationError(fields);
    case "idempotency_error":
      return new IdempotencyError(fields);
    case "rate_limit_error":
      return new RateLimitError(fields);
    case "api_error":
      return new APIError(fields);
    default:
      return status === 404 ? new NotFoundError(fields) : new InvalidRequestError(fields);
  }
}

export function retryAfterSeconds(header: string | undefined): number | undefined {
  if (header === undefined || header === "") return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - Date.now()) / 1000);
}
