import type { Job } from "bullmq";
import { processInboundWebhook } from "../src/domain/inbound/process-inbound-webhook.js";
import type { JobPayload } from "../src/queue/catalog.js";
import { recordFailedProcessing } from "../src/domain/inbound/inbox.js";
import { withDeadLetter } from "./dead-letter.js";
import type { WorkerDeps } from "./deps.js";

/**
 * Applies a stored inbound webhook. The job carries only the inbox row id; the row is re-read and
 * locked, so a rerun (stalled job, sweeper re-drive, duplicate enqueue) is a no-op.
 */
export async function processInboundWebhookJob(deps: WorkerDeps, job: Job<JobPayload<"process-inbound-webhook">>) {
  const { inboxId } = job.data;
  return withDeadLetter(
    deps,
    () => processInboundWebhook(deps.db, inboxId),
    (error, maxAttempts) => recordFailedProcessing(deps.db, inboxId, error, maxAttempts),
  );
}
