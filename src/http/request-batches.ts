import { MicroBatch } from "../batching/micro-batch.js";
import type { Db } from "../db/database.js";
import { claimRequests, findRequests, type RequestClaim, type RequestRow } from "../domain/requests/requests.js";
import { enqueueMany, type Queues } from "../queue/producer.js";
import { TenantPriority } from "../queue/tenant-priority.js";

/**
 * The web side of the batched request path: the requests that arrive together are stored with one
 * multi-row INSERT, handed to the workers as one job, and their outcomes read with one SELECT. Each
 * request keeps its own row, key, deadline and answer, and its handler keeps its own deadlines around
 * each step (idempotency.ts): batching changes how many round trips carry the requests, not what a
 * timeout or an answer means.
 */
export class RequestBatches {
  private readonly claims: MicroBatch<PendingClaim, boolean>;
  private readonly enqueues: MicroBatch<QueuedRequest, string>;
  private readonly priority = new TenantPriority();
  private readonly reads: MicroBatch<string, RequestRow | undefined>;

  constructor(db: Db, queues: Queues) {
    // Two batches in flight per step: one being answered while the next gathers (group commit).
    this.claims = new MicroBatch({ maxSize: 32, maxWaitMs: 0, maxInFlight: 2, ownerOf: (pending) => pending.claim.identity.scope.merchantId, run: (claims) => storeClaims(db, claims) });
    this.enqueues = new MicroBatch({ maxSize: 32, maxWaitMs: 0, maxInFlight: 2, ownerOf: merchantOf, run: (requests) => enqueueByMerchant(queues, this.priority, requests) });
    this.reads = new MicroBatch({
      maxSize: 256,
      maxWaitMs: 0,
      maxInFlight: 2,
      run: async (ids) => {
        const rows = await findRequests(db, [...new Set(ids)]);
        return ids.map((id) => rows.get(id));
      },
    });
  }

  /**
   * Stores the request unless its key is taken: true if this request now owns the key. `giveUpAt` is
   * when its handler stops waiting: a claim still queued then is dropped, not stored (false).
   */
  claim(claim: RequestClaim, giveUpAt: number): Promise<boolean> {
    return this.claims.add({ claim, giveUpAt });
  }

  /** Enqueues the stored request's job; resolves with the job's id. */
  enqueue(requestId: string, merchant: string): Promise<string> {
    return this.enqueues.add({ id: requestId, merchant });
  }

  /** The request's row, read together with the others being read at this moment. */
  read(id: string): Promise<RequestRow | undefined> {
    return this.reads.add(id);
  }
}

interface QueuedRequest {
  id: string;
  merchant: string;
}
const merchantOf = (request: QueuedRequest) => request.merchant;

/**
 * One job per merchant in the batch, all added in one round trip. Its priority is how busy the merchant
 * is (TenantPriority): a quiet merchant's job goes ahead of a flooding one's backlog. The job id is the
 * first request's id: unique, and a re-drive of that one request (job id = its id) is deduplicated
 * against this job while it is still in Redis.
 */
async function enqueueByMerchant(queues: Queues, priority: TenantPriority, requests: QueuedRequest[]): Promise<string[]> {
  const byMerchant = new Map<string, string[]>();
  for (const { id, merchant } of requests) byMerchant.set(merchant, [...(byMerchant.get(merchant) ?? []), id]);
  const jobs = [...byMerchant].map(([merchant, ids]) => {
    let level = 0;
    for (const _ of ids) level = priority.note(merchant);
    return { payload: { requestIds: ids, merchant }, jobId: ids[0]!, priority: level, merchant };
  });
  await enqueueMany(queues, "execute-request", jobs);
  const jobOf = new Map(jobs.flatMap((job) => job.payload.requestIds.map((id) => [id, job.jobId] as const)));
  return requests.map((request) => jobOf.get(request.id)!);
}

interface PendingClaim {
  claim: RequestClaim;
  giveUpAt: number;
}

async function storeClaims(db: Db, pending: PendingClaim[]): Promise<boolean[]> {
  // Under overload, storing requests whose clients have been answered would only deepen the backlog.
  const now = Date.now();
  // One statement cannot claim a key twice: a repeat within the batch is answered as a retry of the
  // first (its handler replays the row, committed by the time it looks).
  const seen = new Set<string>();
  const stored = pending.filter(({ claim, giveUpAt }) => {
    const key = `${claim.identity.scope.merchantId}\u0000${claim.identity.scope.livemode}\u0000${claim.identity.key}`;
    if (giveUpAt <= now || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const claimed = await claimRequests(db, stored.map((entry) => entry.claim));
  return pending.map((entry) => claimed.has(entry.claim.id));
}
