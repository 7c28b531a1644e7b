/**
 * The one error vocabulary of the API (spec §1). Every code maps to exactly one HTTP status and type;
 * the map is exhaustive, so adding a code without deciding its status does not compile.
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
  /** A credit would take a balance or lifetime points past MAX_POINTS (src/domain/ledger/ledger.ts). */
  balance_limit_exceeded: { status: 422, type: "invalid_request_error" },
  rate_limited: { status: 429, type: "rate_limit_error" },
  internal_error: { status: 500, type: "api_error" },
  /** Postgres could not be asked whether a request that may have run did run: retry with the same key. */
  outcome_unknown: { status: 500, type: "api_error" },
  service_unavailable: { status: 503, type: "api_error" },
} as const satisfies Record<string, { status: number; type: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** An expected refusal: turned into the contract's error shape, and (if 4xx) stored for idempotent replay. */
export class ApiError extends Error {
  readonly status: number;
  readonly type: string;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly param?: string,
    /** Seconds, for 429/503. */
    readonly retryAfter?: number,
  ) {
    super(message);
    this.status = ERROR_CODES[code].status;
    this.type = ERROR_CODES[code].type;
  }

  body(requestId: string): ErrorBody {
    return {
      error: {
        type: this.type,
        code: this.code,
        message: this.message,
        ...(this.param === undefined ? {} : { param: this.param }),
        request_id: requestId,
      },
    };
  }
}

export interface ErrorBody {
  error: { type: string; code: string; message: string; param?: string; request_id: string };
}

export const notFound = (what: string, id: string, param?: string) =>
  new ApiError("resource_missing", `No such ${what}: '${id}'`, param);

export const isApiError = (error: unknown): error is ApiError => error instanceof ApiError;
