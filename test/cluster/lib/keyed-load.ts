import { describe, errorCode, isDefinite, sleep, type Answer, call } from "../../outages/lib/http.js";
import { CLIENT_CAP_MS } from "../../outages/lib/rig.js";

/**
 * Keyed redemption creates as a careful client sends them: each key retried with the same
 * Idempotency-Key on a 503, a network error, a 409 idempotency_in_progress or a 500 until a final
 * answer (bounded), alternating between the web processes. `clients` loops run at once, each pausing
 * `thinkMs` between keys, so a fault injected mid-run lands on requests in flight and on new ones.
 */
export interface KeyRun {
  key: string;
  attempts: Answer[];
}

export interface LoadOptions {
  webs: string[];
  secretKey: string;
  body: { account: string; reward: string };
  keys: string[];
  clients: number;
  thinkMs: number;
  /** Per key, across its retries. */
  keyDeadlineMs?: number;
  /** Called after each key's final answer, with how many keys are done. */
  onKeyDone?: (done: number) => void;
}

export async function runKeyedLoad(options: LoadOptions): Promise<KeyRun[]> {
  const runs: KeyRun[] = options.keys.map((key) => ({ key, attempts: [] }));
  const todo = [...runs];
  let done = 0;
  let turn = 0;
  const client = async () => {
    for (let run = todo.shift(); run; run = todo.shift()) {
      const deadline = Date.now() + (options.keyDeadlineMs ?? 40_000);
      let backoff = 100;
      for (;;) {
        const base = options.webs[turn++ % options.webs.length]!;
        const answer = await call(base, "POST", "/v1/loyalty/redemptions", { secretKey: options.secretKey, idempotencyKey: run.key, body: options.body, capMs: CLIENT_CAP_MS });
        run.attempts.push(answer);
        if (isDefinite(answer) || Date.now() > deadline) break;
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 1_000);
      }
      options.onKeyDone?.(++done);
      await sleep(options.thinkMs);
    }
  };
  await Promise.all(Array.from({ length: options.clients }, client));
  return runs;
}

/** Counts of every answer by status (and error code for 5xx), and the answers breaking the contract. */
export function summarize(runs: KeyRun[]) {
  const all = runs.flatMap((run) => run.attempts);
  const byStatus: Record<string, number> = {};
  for (const answer of all) {
    const bucket = answer.status === 0 ? "no answer" : `${answer.status}${answer.status >= 409 && errorCode(answer) ? ` ${errorCode(answer)}` : ""}`;
    byStatus[bucket] = (byStatus[bucket] ?? 0) + 1;
  }
  const broken = all.filter((answer) => answer.status >= 500 && answer.status !== 503).map((answer) => `${describe(answer)} ${answer.text.slice(0, 200)}`);
  const unavailable = all.filter((answer) => answer.status === 503 || answer.status === 0);
  return {
    byStatus,
    broken,
    calls: all.length,
    unavailable,
    retriedKeys: runs.filter((run) => run.attempts.length > 1).length,
    maxAnswerMs: Math.max(0, ...all.filter((answer) => answer.status !== 0).map((answer) => answer.ms)),
  };
}
