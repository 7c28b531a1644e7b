import { QueueEvents } from "bullmq";
import { QUEUES } from "../queue/catalog.js";

/**
 * Wakes request handlers when the job they wait for finishes. It is only a hint: handlers always read
 * the outcome from Postgres and poll it as well, so a lost notice costs latency, never a wrong answer.
 */
export class OutcomeWaiter {
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly events: QueueEvents;

  constructor(redisUrl: string, prefix: string) {
    this.events = new QueueEvents(QUEUES.requests, { connection: { url: redisUrl }, prefix });
    this.events.on("error", () => {});
    this.events.on("completed", ({ jobId }) => this.notify(jobId));
    this.events.on("failed", ({ jobId }) => this.notify(jobId));
  }

  /** Resolves when the job finishes or after `ms`, whichever is first. */
  wait(jobId: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const set = this.waiters.get(jobId) ?? new Set();
      this.waiters.set(jobId, set);
      const done = () => {
        clearTimeout(timer);
        set.delete(done);
        if (set.size === 0) this.waiters.delete(jobId);
        resolve();
      };
      const timer = setTimeout(done, ms);
      set.add(done);
    });
  }

  private notify(jobId: string): void {
    for (const done of this.waiters.get(jobId) ?? []) done();
  }

  async waitUntilReady(): Promise<void> {
    await this.events.waitUntilReady();
  }

  async close(): Promise<void> {
    await this.events.close();
  }
}
