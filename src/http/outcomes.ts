import { QueueEvents } from "bullmq";
import type { DependencyMonitor } from "../ops/dependency-monitor.js";
import { QUEUES } from "../queue/catalog.js";
import { bullConnection, type RedisTarget } from "../queue/redis.js";

/**
 * Wakes request handlers when the job they wait for finishes. A notice is only a wake-up: the answer
 * is read from Postgres (one read by primary key), so Redis never holds a response body — redemptions
 * carry shipping addresses — and a lost notice costs latency (handlers also poll), never a wrong answer.
 */
export class OutcomeWaiter {
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly events: QueueEvents;
  private readonly dispose: () => void;

  constructor(redis: RedisTarget, prefix: string, monitor?: DependencyMonitor) {
    const { connection, dispose } = bullConnection(redis, "subscriber");
    this.dispose = dispose;
    this.events = new QueueEvents(QUEUES.requests, {
      connection,
      prefix,
      skipVersionCheck: true,
    });
    this.events.on("error", (error) => monitor?.down("redis", error));
    this.events.on("completed", ({ jobId }) => this.notify(jobId));
    this.events.on("failed", ({ jobId }) => this.notify(jobId));
  }

  /** Resolves when any of the jobs finishes or after `ms`, whichever is first. */
  wait(jobIds: string[], ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        for (const jobId of jobIds) {
          const set = this.waiters.get(jobId);
          set?.delete(done);
          if (set?.size === 0) this.waiters.delete(jobId);
        }
        resolve();
      };
      const timer = setTimeout(done, ms);
      for (const jobId of new Set(jobIds)) {
        const set = this.waiters.get(jobId) ?? new Set();
        this.waiters.set(jobId, set);
        set.add(done);
      }
    });
  }

  private notify(jobId: string): void {
    for (const done of [...(this.waiters.get(jobId) ?? [])]) done();
  }

  async waitUntilReady(): Promise<void> {
    await this.events.waitUntilReady();
  }

  async close(): Promise<void> {
    await this.events.close();
    this.dispose();
  }
}
