import { Agent, request, type Dispatcher } from "undici";
import type { WebhookAttemptError } from "../db/tables/webhook-delivery.table.js";
import { guardedLookup, isIpLiteral, isTargetAllowed, SSRF_BLOCKED, systemResolver, type AllowList, type Resolver } from "./ssrf-guard.js";

/** What one HTTP attempt came to. Never an exception: every failure is a classified value. */
export interface SendResult {
  ok: boolean;
  statusCode: number | null;
  durationMs: number;
  error: WebhookAttemptError | null;
  /** From `Retry-After` on 429/503, in milliseconds (unbounded here; the scheduler bounds it). */
  retryAfterMs: number | null;
}

/**
 * The outbound HTTP client: connects only to addresses the SSRF guard permits (checked on the resolved
 * address inside the socket's lookup). undici's `request` follows no redirects, so a 3xx is an answer.
 *
 * The Agent keeps one pool per origin: a busy endpoint's sends reuse kept-alive sockets (no handshake
 * per delivery), at most `connectionsPerOrigin` of them; a pool whose sockets all went idle is closed.
 */
export function createWebhookDispatcher(allow: AllowList, timeoutMs: number, resolve: Resolver = systemResolver, connectionsPerOrigin?: number): Agent {
  return new Agent({
    connect: { lookup: guardedLookup(allow, resolve), timeout: timeoutMs },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    // Most receivers are many origins with few requests each; don't hold idle sockets long.
    keepAliveTimeout: 4_000,
    ...(connectionsPerOrigin ? { connections: connectionsPerOrigin } : {}),
  });
}

/** Bytes of a receiver's response body we read (then discard): only the status matters. */
const MAX_RESPONSE_BYTES = 64 * 1024;

export async function sendWebhook(
  dispatcher: Dispatcher,
  allow: AllowList,
  target: { url: string; headers: Record<string, string>; body: string; timeoutMs: number },
): Promise<SendResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const hostname = new URL(target.url).hostname;
  // An IP literal never goes through DNS lookup, so it is checked here, before any socket exists.
  if (isIpLiteral(hostname) && !isTargetAllowed(hostname, hostname, allow)) {
    return { ok: false, statusCode: null, durationMs: 0, error: "ssrf_blocked", retryAfterMs: null };
  }
  // The overall deadline, cleared as soon as the answer is in: a busy endpoint sends hundreds a
  // second, and AbortSignal.timeout would keep each timer (and its signal) alive for the full timeout.
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), target.timeoutMs);
  const signal = deadline.signal;
  try {
    const response = await request(target.url, {
      method: "POST",
      headers: { "content-type": "application/json", "user-agent": "loyalty-redemptions-webhooks/1", ...target.headers },
      body: target.body,
      dispatcher,
      signal,
    });
    await response.body.dump({ limit: MAX_RESPONSE_BYTES }).catch(() => {});
    const ok = response.statusCode >= 200 && response.statusCode < 300;
    const retryAfterMs = response.statusCode === 429 || response.statusCode === 503 ? parseRetryAfter(response.headers["retry-after"]) : null;
    return { ok, statusCode: response.statusCode, durationMs: elapsed(), error: ok ? null : "http_status", retryAfterMs };
  } catch (error) {
    return { ok: false, statusCode: null, durationMs: elapsed(), error: signal.aborted ? "timeout" : classifyError(error), retryAfterMs: null };
  } finally {
    clearTimeout(timer);
  }
}

/** Seconds or an HTTP date (RFC 9110 §10.2.3); null when absent or unreadable. */
export function parseRetryAfter(header: string | string[] | undefined, now = Date.now()): number | null {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return null;
  if (/^\s*\d+\s*$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

export function classifyError(error: unknown): WebhookAttemptError {
  const codes: string[] = [];
  for (let current = error as { code?: unknown; cause?: unknown } | undefined, depth = 0; current && depth < 5; depth++) {
    if (typeof current.code === "string") codes.push(current.code);
    current = current.cause as typeof current;
  }
  if (codes.includes(SSRF_BLOCKED)) return "ssrf_blocked";
  if (codes.some((code) => /^(UND_ERR_CONNECT_TIMEOUT|UND_ERR_HEADERS_TIMEOUT|UND_ERR_BODY_TIMEOUT|ETIMEDOUT|ABORT_ERR)$/.test(code))) return "timeout";
  if (codes.some((code) => /^(ENOTFOUND|EAI_AGAIN|EAI_FAIL|EAI_NODATA|EAI_NONAME)$/.test(code))) return "dns";
  if (codes.some((code) => /^(ERR_TLS|ERR_SSL|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|ERR_OSSL)/.test(code))) return "tls";
  return "connect";
}
