/**
 * How busy each merchant has kept this process lately, as a BullMQ job priority: 1 + the merchant's
 * requests in the last second or so. A merchant sending a trickle gets a low number and its jobs go
 * ahead of the backlog of one sending thousands a second (BullMQ serves lower numbers first, FIFO
 * within one number), so a flood delays the flooder, not its neighbours. Every process sees its own
 * share of each merchant's traffic; behind a load balancer those shares are proportional, so the
 * order between merchants is the same in every process.
 *
 * Counted in two one-second buckets (this second and the last): a number that follows a burst up at
 * once and forgets it within two seconds, in memory bounded by the merchants active in that time.
 */
export class TenantPriority {
  private current = new Map<string, number>();
  private previous = new Map<string, number>();
  private second = 0;

  /** Counts one request of `merchant` and returns the priority its job should have. */
  note(merchant: string, now = Date.now()): number {
    this.roll(now);
    const count = (this.current.get(merchant) ?? 0) + 1;
    this.current.set(merchant, count);
    return Math.min(PRIORITY_LIMIT, count + (this.previous.get(merchant) ?? 0));
  }

  private roll(now: number): void {
    const second = Math.floor(now / 1000);
    if (second === this.second) return;
    this.previous = second === this.second + 1 ? this.current : new Map();
    this.current = new Map();
    this.second = second;
  }
}

/** BullMQ's largest priority (2^21). */
const PRIORITY_LIMIT = 2_097_152;
