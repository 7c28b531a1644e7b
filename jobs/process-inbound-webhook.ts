import { UnrecoverableError, type Job } from "bullmq";
import { processInboundWebhook } from "../src/domain/inbound/process-inbound-webhook.js";
import type { JobPayload } from "../src/queue/catalog.js";
import { recordFailedProcessing } from "../src/domain/inbound/inbox.js";
import { isOutage } from "../src/ops/outages.js";
import { countFailure, withDeadLetter } from "./dead-letter.js";
import type { WorkerDeps } from "./deps.js";

/**
 * Applies stored inbound webhooks: the rows one web batch stored for one merchant, or one row (a
 * re-drive, or a job from before batching). The job carries only inbox row ids; each row is re-read
 * and locked, so a rerun (stalled job, sweeper re-drive, duplicate enqueue) is a no-op for the rows
 * already processed.
 *
 * The rows that cannot touch a redemption (most of a provider's traffic) never get here: they are
 * stored processed (settle-without-effect.ts). The rows of a job are applied one after another, in
 * the order they arrived, each in its own transaction: two events about one redemption apply in that
 * order, and a row that fails rolls back only itself. A failed row is counted on its row (dead-lettered at MAX_ATTEMPTS)
 * and the job fails once the others are done, so BullMQ retries it and the retry finds only the
 * failed rows left to do.
 */
export async function processInboundWebhookJob(deps: WorkerDeps, job: Job<JobPayload<"process-inbound-webhook">>) {
  if ("inboxId" in job.data) return processOne(deps, job.data.inboxId);
  const ids = job.data.inboxIds;
  let processed = 0;
  let deadLettered = 0;
  let retry: unknown;
  for (const id of ids) {
    try {
      if ((await processInboundWebhook(deps.db, id)).outcome === "processed") processed++;
    } catch (error) {
      // Postgres is away: the rows left would each fail the same way, after a connect timeout each.
      if (isOutage(error)) throw error;
      if ((await countFailure(deps, error, (message, max) => recordFailedProcessing(deps.db, id, message, max))) === "retry") retry ??= error;
      else deadLettered++;
    }
  }
  if (retry !== undefined) throw retry;
  // Nothing is left to retry; the job ends failed so the dead letter shows on the queue dashboard too.
  if (deadLettered > 0) throw new UnrecoverableError(`dead-lettered ${deadLettered} of ${ids.length} inbound webhooks`);
  // Counts only: job return values stay in Redis, and a payload may hold personal data.
  return { inbox: ids.length, processed };
}

/** One row, as before batching: its outcome is the job's return value. */
function processOne(deps: WorkerDeps, inboxId: string) {
  return withDeadLetter(
    deps,
    () => processInboundWebhook(deps.db, inboxId),
    (error, maxAttempts) => recordFailedProcessing(deps.db, inboxId, error, maxAttempts),
  );
}
