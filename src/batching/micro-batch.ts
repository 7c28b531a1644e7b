/**
 * Gathers the calls that arrive within a moment into one batch and runs the batch as one unit of work
 * (one multi-row INSERT, one queue round trip, one transaction). Every hot path that would otherwise
 * pay a round trip per call uses this one mechanism.
 *
 * A batch closes when it holds `maxSize` items or `maxWaitMs` after its first item arrived. While the
 * process is idle an item waits at most `maxWaitMs`; under load batches fill faster than that. A batch
 * whose work throws rejects every item in it with that error: the caller handles it exactly as it
 * would have handled the error of its own single call.
 *
 * `run` must return one result per item, in order.
 */
export interface MicroBatchOptions<In, Out> {
  maxSize: number;
  maxWaitMs: number;
  run: (items: In[]) => Promise<Out[]>;
}

interface Pending<In, Out> {
  item: In;
  resolve: (value: Out) => void;
  reject: (error: unknown) => void;
}

export class MicroBatch<In, Out> {
  private pending: Pending<In, Out>[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: MicroBatchOptions<In, Out>) {}

  add(item: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (this.pending.length >= this.options.maxSize) this.flush();
      else if (this.timer === undefined) this.timer = setTimeout(() => this.flush(), this.options.maxWaitMs);
    });
  }

  /** Items waiting for their batch to close. */
  get waiting(): number {
    return this.pending.length;
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    this.runBatch(batch);
  }

  private runBatch(batch: Pending<In, Out>[]): void {
    let work: Promise<Out[]>;
    try {
      work = this.options.run(batch.map((entry) => entry.item));
    } catch (error) {
      work = Promise.reject(error);
    }
    work.then(
      (results) => {
        if (results.length !== batch.length) {
          const error = new Error(`micro-batch returned ${results.length} results for ${batch.length} items`);
          for (const entry of batch) entry.reject(error);
          return;
        }
        batch.forEach((entry, index) => entry.resolve(results[index]!));
      },
      (error: unknown) => {
        for (const entry of batch) entry.reject(error);
      },
    );
  }
}
