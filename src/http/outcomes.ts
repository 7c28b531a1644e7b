import { QueueEvents } from "bullmq";
import type { DependencyMonitor } from "../ops/dependency-monitor.js";
import { QUEUES } from "../queue/catalog.js";
import { reconnectDelay } from "../queue/redis.js";

/** What a completion notice may carry: the committed response of an `execute-request` job. */
export interface CompletedResponse {
  status: number;
  body: string;
}

/**
 * Wakes request handlers when the job they wait for finishes. A notice is only a hint: when it carries
 * the job's return value, that is the response the job committed (so no read-back is needed); when it
 * is lost, handlers poll Postgres, so a lost notice costs latency, never a wrong answer.
 */
export class OutcomeWaiter {
  private readonly waiters = new Map<string, Set<(response?: CompletedResponse) => void>>();
  private readonly events: QueueEvents;

  constructor(redisUrl: string, prefix: string, monitor?: DependencyMonitor) {
    this.events = new QueueEvents(QUEUES.requests, {
      connection: { url: redisUrl, connectTimeout: 2_000, retryStrategy: reconnectDelay },
      prefix,
      skipVersionCheck: true,
    });
    this.events.on("error", (error) => monitor?.down("redis", error));
    this.events.on("completed", ({ jobId, returnvalue }) => this.notify(jobId, committedResponse(returnvalue)));
    this.events.on("failed", ({ jobId }) => this.notify(jobId));
  }

  /** Resolves when the job finishes (with its committed response, if the notice carried one) or after `ms`. */
  wait(jobId: string, ms: number): Promise<CompletedResponse | undefined> {
    return new Promise((resolve) => {
      const set = this.waiters.get(jobId) ?? new Set();
      this.waiters.set(jobId, set);
      const done = (response?: CompletedResponse) => {
        clearTimeout(timer);
        set.delete(done);
        if (set.size === 0) this.waiters.delete(jobId);
        resolve(response);
      };
      const timer = setTimeout(done, ms);
      set.add(done);
    });
  }

  private notify(jobId: string, response?: CompletedResponse): void {
    for (const done of this.waiters.get(jobId) ?? []) done(response);
  }

  async waitUntilReady(): Promise<void> {
    await this.events.waitUntilReady();
  }

  async close(): Promise<void> {
    await this.events.close();
  }
}

/** The `execute-request` job returns `{outcome: "completed", status, body}` when its run committed one. */
function committedResponse(returnvalue: unknown): CompletedResponse | undefined {
  try {
    const value = (typeof returnvalue === "string" ? JSON.parse(returnvalue) : returnvalue) as Record<string, unknown> | null;
    if (value?.outcome === "completed" && typeof value.status === "number" && typeof value.body === "string") {
      return { status: value.status, body: value.body };
    }
  } catch {
    // Not ours or not JSON: treat as a bare wake-up.
  }
  return undefined;
}
