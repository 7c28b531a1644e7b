import { MicroBatch } from "../batching/micro-batch.js";
import type { Db } from "../db/database.js";
import { storeInboundWebhooks, type ReceivedWebhook, type StoredWebhook } from "../domain/inbound/inbox.js";
import { ApiError } from "../errors.js";
import type { Logger } from "../logger.js";
import { isOutage, logEnqueueFailure } from "../ops/outages.js";
import { enqueueMany, type Queues } from "../queue/producer.js";

/**
 * The web side of the inbound path: the verified webhooks that arrive together are stored with one
 * multi-row INSERT and handed to the workers in one Redis round trip, one job per merchant (a webhook
 * that cannot touch a redemption is stored processed and needs no job: settle-without-effect.ts). Each
 * webhook is answered once its own row is committed — Postgres is the truth — and never waits for the
 * enqueue: a row whose job is lost (Redis away, a crash right after the commit) is re-driven by the
 * inbox sweeper after SWEEP_STALE_AFTER_MS.
 */
export class InboxWriter {
  private readonly stores: MicroBatch<PendingStore, StoreOutcome>;
  /** Enqueues started after a commit and not finished yet (bounded by Redis's command timeout). */
  private readonly enqueuing = new Set<Promise<void>>();

  constructor(
    private readonly db: Db,
    private readonly queues: Queues,
    private readonly logger: Logger,
    /** How long a webhook may wait to be stored before it is answered 503 (the provider retries). */
    private readonly timeoutMs: number,
  ) {
    // Two INSERTs in flight: one committing while the next gathers (group commit). 100 rows keep one
    // statement short (9 arrays of 100); a flooding merchant's backlog cannot fill every batch.
    this.stores = new MicroBatch({ maxSize: 100, maxWaitMs: 0, maxInFlight: 2, ownerOf: (pending) => pending.webhook.merchantId, run: (pending) => this.storeBatch(pending) });
  }

  /**
   * Stores the webhook (or finds the row of its webhook-id); resolves once that row is committed.
   * Rejects with `503 service_unavailable` when it could not be stored within `timeoutMs`: a webhook
   * still queued then is dropped, not stored; one whose INSERT was already running may still commit,
   * and the provider's retry is then answered `duplicate: true` and processed once.
   */
  async store(webhook: ReceivedWebhook): Promise<StoredWebhook> {
    const giveUpAt = Date.now() + this.timeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ApiError("service_unavailable", "The webhook could not be stored in time and was not accepted; send it again.", undefined, 1)), this.timeoutMs);
    });
    try {
      const outcome = await Promise.race([this.stores.add({ webhook, giveUpAt }), late]);
      if (!outcome.ok) throw outcome.error;
      return outcome.stored;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Resolves once every enqueue started so far has finished (tests, graceful shutdown). */
  async idle(): Promise<void> {
    while (this.enqueuing.size > 0) await Promise.allSettled([...this.enqueuing]);
  }

  private async storeBatch(pending: PendingStore[]): Promise<StoreOutcome[]> {
    // Under overload, storing webhooks whose providers have been answered 503 would only deepen the backlog.
    const now = Date.now();
    const live = pending.filter((entry) => entry.giveUpAt > now);
    const outcomes = new Map<PendingStore, StoreOutcome>();
    try {
      const stored = await storeInboundWebhooks(this.db, live.map((entry) => entry.webhook));
      live.forEach((entry, index) => outcomes.set(entry, { ok: true, stored: stored[index]! }));
    } catch (error) {
      // An outage fails every row alike; the batch rejects and each webhook is answered 503.
      if (isOutage(error) || live.length <= 1) throw error;
      // A value Postgres refused fails the statement for all its rows: store each alone, so only the
      // webhook that carries it is refused.
      await Promise.all(
        live.map(async (entry) => {
          try {
            const [stored] = await storeInboundWebhooks(this.db, [entry.webhook]);
            outcomes.set(entry, { ok: true, stored: stored! });
          } catch (alone) {
            outcomes.set(entry, { ok: false, error: alone });
          }
        }),
      );
    }
    this.enqueueProcessing(live.flatMap((entry) => {
      const outcome = outcomes.get(entry)!;
      return outcome.ok ? [{ merchant: entry.webhook.merchantId, ...outcome.stored }] : [];
    }));
    return pending.map((entry) => outcomes.get(entry) ?? { ok: false, error: new ApiError("service_unavailable", "The webhook could not be stored in time and was not accepted; send it again.", undefined, 1) });
  }

  /** Starts the enqueue of the committed rows' jobs; nobody waits for it (see the class comment). */
  private enqueueProcessing(rows: (StoredWebhook & { merchant: string })[]): void {
    if (rows.length === 0) return;
    const sending = enqueueMany(this.queues, "process-inbound-webhook", inboundJobs(rows)).catch(
      logEnqueueFailure(this.logger, "enqueue failed; the inbox sweeper will process it", { inbox: rows.map((row) => row.id) }),
    );
    this.enqueuing.add(sending);
    void sending.finally(() => this.enqueuing.delete(sending));
  }
}

interface PendingStore {
  webhook: ReceivedWebhook;
  giveUpAt: number;
}

type StoreOutcome = { ok: true; stored: StoredWebhook } | { ok: false; error: unknown };

/**
 * The jobs for rows just stored: one per merchant for its new rows, in arrival order (a worker applies
 * a job's rows one after another, so two events about one redemption apply in the order they came),
 * its job id the first new row's id, which never had a job. A redelivery of a row stored earlier and
 * not processed yet is enqueued too — the provider's retry may be all that is left of a first delivery
 * whose enqueue was lost — as a job of its own whose id is the row's id, so a job of that id still in
 * Redis absorbs it. A row stored processed (a webhook without effect) and a redelivery of a processed
 * (or dead-lettered) row need none. A processed row is a no-op, so none of this can process a webhook
 * twice.
 */
export function inboundJobs(rows: (StoredWebhook & { merchant: string })[]): { payload: { inboxIds: string[] }; jobId: string; merchant: string }[] {
  const fresh = new Map<string, string[]>();
  const redeliveries = new Map<string, string>();
  for (const row of rows) {
    if (row.finished) continue;
    if (row.duplicate) redeliveries.set(row.id, row.merchant);
    else if (fresh.has(row.merchant)) fresh.get(row.merchant)!.push(row.id);
    else fresh.set(row.merchant, [row.id]);
  }
  const jobs = [...fresh].map(([merchant, ids]) => ({ payload: { inboxIds: ids }, jobId: ids[0]!, merchant }));
  // A repeat within the batch of a row stored by this batch is already in that row's job.
  const inFreshJobs = new Set([...fresh.values()].flat());
  for (const [id, merchant] of redeliveries) if (!inFreshJobs.has(id)) jobs.push({ payload: { inboxIds: [id] }, jobId: id, merchant });
  return jobs;
}
