/**
 * Gathers the calls that arrive within a moment into one batch and runs the batch as one unit of work
 * (one multi-row INSERT, one queue round trip, one transaction). Every hot path that would otherwise
 * pay a round trip per call uses this one mechanism.
 *
 * A batch closes when it holds `maxSize` items or `maxWaitMs` after its first item arrived, and starts
 * as soon as fewer than `maxInFlight` batches are running. With `maxInFlight` set, batching adapts to
 * the load by itself (group commit): an idle system runs a lone call at once, a busy one gathers the
 * calls that arrive while the running batches finish — latency is not traded for throughput until the
 * work is the bottleneck. A batch whose work throws rejects every item in it with that error: the
 * caller handles it exactly as it would have handled the error of its own single call.
 *
 * `run` must return one result per item, in order.
 */
export interface MicroBatchOptions<In, Out> {
  maxSize: number;
  /** How long the first item of a batch waits for company (0: only what arrives in the same tick). */
  maxWaitMs: number;
  /** Batches running at once; beyond it, items wait for a running batch to finish. Default: no limit. */
  maxInFlight?: number;
  /**
   * Whose item it is (a merchant). When more items wait than one batch holds, the batch takes them
   * round-robin across owners, so one owner's backlog cannot push another's items back by many batches.
   */
  ownerOf?: (item: In) => string;
  run: (items: In[]) => Promise<Out[]>;
}

interface Pending<In, Out> {
  item: In;
  resolve: (value: Out) => void;
  reject: (error: unknown) => void;
}

export class MicroBatch<In, Out> {
  private pending: Pending<In, Out>[] = [];
  /** Cancels the wait of the first pending item, while one runs. */
  private cancelWait: (() => void) | undefined;
  /** The first pending item has waited its `maxWaitMs`: it goes with the next free slot. */
  private due = false;
  private running = 0;
  private readonly maxInFlight: number;

  constructor(private readonly options: MicroBatchOptions<In, Out>) {
    this.maxInFlight = options.maxInFlight ?? Number.POSITIVE_INFINITY;
  }

  add(item: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (this.pending.length >= this.options.maxSize) this.markDue();
      else if (this.cancelWait === undefined && !this.due) this.cancelWait = this.waitForCompany();
    });
  }

  /** Items waiting for their batch to start. */
  get waiting(): number {
    return this.pending.length;
  }

  /**
   * `maxWaitMs: 0` means "what arrives in this turn of the event loop": setImmediate runs right after
   * the I/O callbacks being handled now, where setTimeout(0) would add Node's 1 ms timer floor to every
   * lone call, once per batching step.
   */
  private waitForCompany(): () => void {
    if (this.options.maxWaitMs > 0) {
      const timer = setTimeout(() => this.markDue(), this.options.maxWaitMs);
      return () => clearTimeout(timer);
    }
    const immediate = setImmediate(() => this.markDue());
    return () => clearImmediate(immediate);
  }

  private markDue(): void {
    this.cancelWait?.();
    this.cancelWait = undefined;
    this.due = true;
    this.startBatches();
  }

  private startBatches(): void {
    while (this.due && this.pending.length > 0 && this.running < this.maxInFlight) this.runBatch(this.take());
    if (this.pending.length === 0) this.due = false;
    // What is left waited already: it goes as soon as a slot frees, unless it has filled a batch.
  }

  /** The next batch: the oldest items, or with `ownerOf` and a backlog, one per owner in turn. */
  private take(): Pending<In, Out>[] {
    const { maxSize, ownerOf } = this.options;
    if (!ownerOf || this.pending.length <= maxSize) return this.pending.splice(0, maxSize);
    const byOwner = new Map<string, Pending<In, Out>[]>();
    for (const entry of this.pending) {
      const owner = ownerOf(entry.item);
      const queue = byOwner.get(owner);
      if (queue) queue.push(entry);
      else byOwner.set(owner, [entry]);
    }
    const batch: Pending<In, Out>[] = [];
    const queues = [...byOwner.values()];
    for (let round = 0; batch.length < maxSize; round++) {
      for (const queue of queues) {
        if (round < queue.length) batch.push(queue[round]!);
        if (batch.length === maxSize) break;
      }
    }
    const taken = new Set(batch);
    this.pending = this.pending.filter((entry) => !taken.has(entry));
    return batch;
  }

  private runBatch(batch: Pending<In, Out>[]): void {
    this.running++;
    let work: Promise<Out[]>;
    try {
      work = this.options.run(batch.map((entry) => entry.item));
    } catch (error) {
      work = Promise.reject(error);
    }
    work
      .then(
        (results) => {
          if (results.length !== batch.length) throw new Error(`micro-batch returned ${results.length} results for ${batch.length} items`);
          batch.forEach((entry, index) => entry.resolve(results[index]!));
        },
      )
      .catch((error: unknown) => {
        for (const entry of batch) entry.reject(error);
      })
      .finally(() => {
        this.running--;
        this.startBatches();
      });
  }
}
