/** Errors the client throws. Every API error keeps the contract's fields and the server's request id. */
export class LoyaltyError extends Error {
  constructor(
    message: string,
    readonly statusCode: number | null,
    readonly type: string,
    readonly code: string,
    readonly requestId: string | null,
    readonly param?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class InvalidRequestError extends LoyaltyError {}
export class AuthenticationError extends LoyaltyError {}
export class IdempotencyError extends LoyaltyError {}
export class RateLimitError extends LoyaltyError {}
export class ApiServerError extends LoyaltyError {}
/** The request never got an HTTP answer (connection refused, reset, timeout). */
export class ConnectionError extends LoyaltyError {}

interface ErrorBody {
  error?: { type?: string; code?: string; message?: string; param?: string; request_id?: string };
}

export function errorFromResponse(status: number, body: unknown, requestId: string | null): LoyaltyError {
  const error = (body as ErrorBody | undefined)?.error ?? {};
  const type = error.type ?? (status >= 500 ? "api_error" : "invalid_request_error");
  const args = [error.message ?? `HTTP ${status}`, status, type, error.code ?? "unknown", error.request_id ?? requestId, error.param] as const;
  switch (type) {
    case "authentication_error":
      return new AuthenticationError(...args);
    case "idempotency_error":
      return new IdempotencyError(...args);
    case "rate_limit_error":
      return new RateLimitError(...args);
    case "api_error":
      return new ApiServerError(...args);
    default:
      return new InvalidRequestError(...args);
  }
}
