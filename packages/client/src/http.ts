import { randomUUID } from "node:crypto";
import { APIConnectionError, errorFromResponse, retryAfterSeconds, UnexpectedResponseError, type LoyaltyAPIError } from "./errors.js";
import type { LastResponse, WithLastResponse } from "./types.js";

export interface ClientOptions {
  /** `sk_test_…` or `sk_live_…`: the key decides the merchant and the mode. */
  secretKey: string;
  /** Where the service runs. Default `http://localhost:3000`. */
  baseUrl?: string;
  /**
   * Retries after a network error or timeout, `429`, `500 outcome_unknown`, `503` (and
   * `409 idempotency_in_progress`), always with the same Idempotency-Key. Default 2.
   */
  maxRetries?: number;
  /** Per attempt, in milliseconds. Default 30 000. */
  timeoutMs?: number;
}

export interface RequestOptions {
  /**
   * Sent as `Idempotency-Key`. Without one, every write gets a random UUID, reused by the client's own
   * retries; pass your own (a cart id, an order id) to make retries across processes safe too.
   */
  idempotencyKey?: string;
}

export type Method = "GET" | "POST" | "PATCH" | "DELETE";
export type Query = Record<string, string | number | boolean | null | undefined>;

/** Retry-After is honoured up to this; a longer wait is the caller's decision, not the client's. */
const MAX_RETRY_DELAY_MS = 20_000;
const SDK_VERSION = "0.1.0";

export class HttpClient {
  readonly baseUrl: string;
  private readonly maxRetries: number;
  private readonly timeoutMs: number;

  constructor(private readonly options: ClientOptions) {
    if (typeof options.secretKey !== "string" || !/^sk_(test|live)_/.test(options.secretKey)) {
      throw new TypeError("secretKey must be an sk_test_… or sk_live_… key");
    }
    this.baseUrl = (options.baseUrl ?? "http://localhost:3000").replace(/\/+$/, "");
    this.maxRetries = Math.max(0, Math.floor(options.maxRetries ?? 2));
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  async request<T extends object>(method: Method, path: string, body?: unknown, query?: Query, options: RequestOptions = {}): Promise<WithLastResponse<T>> {
    const url = new URL(this.baseUrl + path);
    for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined && value !== null) url.searchParams.set(key, String(value));
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.options.secretKey}`,
      accept: "application/json",
      "user-agent": `loyalty-redemptions-client/${SDK_VERSION} node/${process.version}`,
    };
    if (body !== undefined) headers["content-type"] = "application/json";
    // One key for every attempt of this call: a retry is the same request, never a second one.
    if (method !== "GET") headers["idempotency-key"] = options.idempotencyKey ?? randomUUID();

    for (let attempt = 0; ; attempt++) {
      let response: Response;
      try {
        response = await fetch(url, {
          method,
          headers,
          signal: AbortSignal.timeout(this.timeoutMs),
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
      } catch (cause) {
        const timedOut = (cause as Error)?.name === "TimeoutError";
        if (attempt < this.maxRetries) {
          await sleep(backoffMs(attempt));
          continue;
        }
        const reason = timedOut ? `no answer within ${this.timeoutMs} ms` : ((cause as Error)?.cause as Error | undefined)?.message ?? (cause as Error)?.message;
        throw new APIConnectionError(`${method} ${url.pathname}: could not reach ${this.baseUrl} (${reason})`, timedOut, cause);
      }
      const responseHeaders = Object.fromEntries(response.headers);
      const requestId = response.headers.get("request-id");
      const text = await response.text();
      let parsed: unknown;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = undefined;
      }
      if (response.ok) {
        if (parsed === null || typeof parsed !== "object") {
          throw new UnexpectedResponseError(`${method} ${url.pathname}: the server answered ${response.status} without a JSON object`, response.status, requestId, responseHeaders);
        }
        return withLastResponse(parsed as T, {
          requestId,
          status: response.status,
          headers: responseHeaders,
          idempotentReplayed: response.headers.get("idempotent-replayed") === "true",
        });
      }
      if (parsed === undefined && response.status < 500) {
        throw new UnexpectedResponseError(`${method} ${url.pathname}: the server answered ${response.status} without a JSON error`, response.status, requestId, responseHeaders);
      }
      const error = errorFromResponse(response.status, parsed, responseHeaders);
      if (!isRetryable(error) || attempt >= this.maxRetries) throw error;
      const retryAfter = retryAfterSeconds(responseHeaders["retry-after"]);
      await sleep(Math.min(MAX_RETRY_DELAY_MS, retryAfter === undefined ? backoffMs(attempt) : retryAfter * 1000));
    }
  }
}

/** Only answers the contract says are safe and worth repeating with the same key. */
function isRetryable(error: LoyaltyAPIError): boolean {
  switch (error.status) {
    case 429:
    case 503:
      return true;
    case 500:
      return error.code === "outcome_unknown";
    case 409:
      return error.code === "idempotency_in_progress";
    default:
      return false;
  }
}

export function withLastResponse<T extends object>(value: T, lastResponse: LastResponse): WithLastResponse<T> {
  Object.defineProperty(value, "lastResponse", { value: lastResponse, enumerable: false, writable: false, configurable: true });
  return value as WithLastResponse<T>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** 0.5 s, 1 s, 2 s … up to 8 s, each with jitter (50–100 %). */
const backoffMs = (attempt: number) => Math.min(8_000, 500 * 2 ** attempt) * (0.5 + Math.random() / 2);
