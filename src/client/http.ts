import { randomUUID } from "node:crypto";
import { ConnectionError, errorFromResponse, LoyaltyError } from "./errors.js";

export interface ClientOptions {
  secretKey: string;
  baseUrl?: string;
  /** Retries after a network error, 429 or 5xx (same Idempotency-Key every time). Default 2. */
  maxRetries?: number;
  /** Per attempt. Default 30 s. */
  timeoutMs?: number;
}

export interface RequestOptions {
  idempotencyKey?: string;
}

type Query = Record<string, string | number | boolean | undefined>;

const RETRYABLE_STATUS = new Set([409, 429, 500, 502, 503, 504]);
const MAX_RETRY_AFTER_MS = 60_000;

/**
 * The transport: auth, JSON, typed errors, and safe retries. A write is retried only with the same
 * Idempotency-Key (one is generated if the caller gave none), so a retry can never double-spend.
 */
export class HttpClient {
  private readonly baseUrl: string;
  private readonly maxRetries: number;
  private readonly timeoutMs: number;

  constructor(private readonly options: ClientOptions) {
    if (!/^sk_(test|live)_/.test(options.secretKey)) throw new Error("secretKey must be an sk_test_… or sk_live_… key");
    this.baseUrl = (options.baseUrl ?? "http://localhost:3000").replace(/\/+$/, "");
    this.maxRetries = options.maxRetries ?? 2;
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  async request<T>(method: "GET" | "POST" | "PATCH" | "DELETE", path: string, body?: unknown, query?: Query, options: RequestOptions = {}): Promise<T> {
    const url = new URL(this.baseUrl + path);
    for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));
    const headers: Record<string, string> = { authorization: `Bearer ${this.options.secretKey}`, accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (method === "POST" || method === "PATCH" || method === "DELETE") headers["idempotency-key"] = options.idempotencyKey ?? `client_${randomUUID()}`;

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
        const error = new ConnectionError(`Could not reach ${this.baseUrl}: ${(cause as Error).message}`, null, "api_connection_error", "connection_failed", null);
        if (attempt < this.maxRetries) {
          await sleep(backoffMs(attempt));
          continue;
        }
        throw error;
      }
      const requestId = response.headers.get("request-id");
      const text = await response.text();
      const parsed = text ? safeJson(text) : undefined;
      if (response.ok) return parsed as T;
      const error = errorFromResponse(response.status, parsed, requestId);
      // 409 is retried only while the first request with this key is still running.
      const retryable = RETRYABLE_STATUS.has(response.status) && (response.status !== 409 || error.code === "idempotency_in_progress");
      if (!retryable || attempt >= this.maxRetries) throw error;
      await sleep(retryAfterMs(response.headers.get("retry-after")) ?? backoffMs(attempt));
    }
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new LoyaltyError("The server answered with something that is not JSON.", null, "api_error", "invalid_response", null);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const backoffMs = (attempt: number) => Math.min(8_000, 500 * 2 ** attempt) * (0.5 + Math.random() / 2);

function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, seconds * 1000));
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.min(MAX_RETRY_AFTER_MS, Math.max(0, date - Date.now()));
}
