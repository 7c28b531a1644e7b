import { outcomeChannel } from "../queue/outcome-notices.js";
import type { Subscriptions } from "../queue/subscriptions.js";

/**
 * Wakes request handlers when a worker announces that their requests' outcomes have committed
 * (announceOutcomes). A notice is only a wake-up: the answer is read from Postgres (one read by primary
 * key), so Redis never holds a response body — redemptions carry shipping addresses — and a lost
 * notice costs latency (handlers also poll), never a wrong answer. Notices missed while the connection
 * was away are left to that polling: waking every waiter at a reconnect would send them all to
 * Postgres at once.
 *
 * Pub/sub rather than the queue's event stream: a subscribed connection is pushed the notices it needs,
 * one per group commit, where a stream reader is woken by every job's every event (added, active,
 * completed) and must send a new blocking read after each.
 */
export class OutcomeWaiter {
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly subscribed: Promise<void>;

  constructor(subscriptions: Subscriptions, queuePrefix: string) {
    this.subscribed = subscriptions.listen(
      outcomeChannel(queuePrefix),
      (ids) => {
        for (const id of ids.split(",")) this.notify(id);
      },
      () => {},
    );
  }

  /** Resolves when the request's outcome is announced or after `ms`, whichever is first. */
  wait(requestId: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        const set = this.waiters.get(requestId);
        set?.delete(done);
        if (set?.size === 0) this.waiters.delete(requestId);
        resolve();
      };
      const timer = setTimeout(done, ms);
      const set = this.waiters.get(requestId) ?? new Set();
      this.waiters.set(requestId, set);
      set.add(done);
    });
  }

  private notify(requestId: string): void {
    for (const done of [...(this.waiters.get(requestId) ?? [])]) done();
  }

  /**
   * Resolves once the first subscribe has been answered or has failed (then ioredis subscribes when it
   * reconnects): a notice published before the subscription is in place is missed.
   */
  waitUntilReady(): Promise<void> {
    return this.subscribed;
  }
}
