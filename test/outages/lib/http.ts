/**
 * HTTP calls to a real web process, timed, each bounded on the client side well past the promised
 * bound so that a hang is recorded (as `status: 0`, "no answer after N ms") instead of stalling the test.
 */
export interface Answer {
  method: string;
  path: string;
  idempotencyKey?: string;
  /** 0: no HTTP answer (network error, connection reset, or our client-side cap). */
  status: number;
  ms: number;
  startedAt: number;
  endedAt: number;
  text: string;
  body: any;
  headers: Headers | null;
  error?: string;
}

export interface CallOptions {
  secretKey?: string;
  idempotencyKey?: string;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
  /** Client-side cap; past it the call is recorded as unanswered. */
  capMs: number;
}

export async function call(baseUrl: string, method: string, path: string, options: CallOptions): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.secretKey) headers.authorization = `Bearer ${options.secretKey}`;
  if (options.idempotencyKey !== undefined) headers["idempotency-key"] = options.idempotencyKey;
  const body = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  if (body !== undefined && !headers["content-type"]) headers["content-type"] = "application/json";
  const startedAt = Date.now();
  const base = { method, path, ...(options.idempotencyKey === undefined ? {} : { idempotencyKey: options.idempotencyKey }), startedAt };
  try {
    const res = await fetch(baseUrl + path, { method, headers, ...(body === undefined ? {} : { body }), signal: AbortSignal.timeout(options.capMs) });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    const endedAt = Date.now();
    return { ...base, status: res.status, ms: endedAt - startedAt, endedAt, text, body: parsed, headers: res.headers };
  } catch (error) {
    const endedAt = Date.now();
    const name = (error as Error).name;
    const reason =
      name === "TimeoutError" || name === "AbortError"
        ? `no answer after ${endedAt - startedAt} ms`
        : `network error after ${endedAt - startedAt} ms: ${(error as Error & { cause?: Error }).cause?.message ?? (error as Error).message}`;
    return { ...base, status: 0, ms: endedAt - startedAt, endedAt, text: "", body: undefined, headers: null, error: reason };
  }
}

/** One line describing an answer, for failure messages. */
export function describe(answer: Answer, origin?: number): string {
  const at = origin === undefined ? "" : ` sent at ${((answer.startedAt - origin) / 1000).toFixed(1)} s`;
  const key = answer.idempotencyKey ? ` (key ${answer.idempotencyKey})` : " (no key)";
  const code = answer.body?.error?.code;
  const outcome = answer.status === 0 ? answer.error : `${answer.status}${code ? ` ${code}` : ""} in ${answer.ms} ms`;
  return `${answer.method} ${answer.path}${key}${at}: ${outcome}`;
}

export const errorCode = (answer: Answer): string | undefined => answer.body?.error?.code;

/** A final answer: 2xx, or a 4xx other than 409 idempotency_in_progress. */
export const isDefinite = (answer: Answer) =>
  (answer.status >= 200 && answer.status < 300) || (answer.status >= 400 && answer.status < 500 && errorCode(answer) !== "idempotency_in_progress");

/** What the contract says a 503 is: `api_error` / `service_unavailable` with a Retry-After header. */
export function unavailableShapeProblems(answer: Answer): string[] {
  const problems: string[] = [];
  if (answer.body?.error?.type !== "api_error" || answer.body?.error?.code !== "service_unavailable") problems.push(`body ${answer.text.slice(0, 200)}`);
  const retryAfter = answer.headers?.get("retry-after");
  if (!retryAfter || !/^\d+$/.test(retryAfter)) problems.push(`Retry-After ${JSON.stringify(retryAfter ?? null)}`);
  return problems;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns a truthy value or `timeoutMs` passes; returns the last value. */
export async function waitUntil<T>(probe: () => Promise<T>, timeoutMs: number, stepMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined as T);
    if (value || Date.now() > deadline) return value;
    await sleep(stepMs);
  }
}
