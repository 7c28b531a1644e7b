import type { Job } from "bullmq";
import { expireRedemption } from "../src/domain/redemptions/expiry.js";
import type { JobPayload } from "../src/queue/catalog.js";
import { enqueue } from "../src/queue/producer.js";
import { logEnqueueFailure } from "../src/ops/outages.js";
import type { WorkerDeps } from "./deps.js";

/** Auto-release of a pending discount at `expires_at` (delayed job; the sweeper is the safety net). */
export async function expireRedemptionJob(deps: WorkerDeps, job: Job<JobPayload<"expire-redemption">>) {
  return { outcome: await expireRedemption(deps.db, job.data.redemptionId) };
}

/**
 * Called after a create request committed (never inside its transaction: the job could run before the
 * commit or after a rollback). Failure here is harmless: the expiry sweeper finds the redemption in
 * Postgres once it is due, so the error is logged and the create job still succeeds.
 */
export async function scheduleExpiry(deps: WorkerDeps, created: { object?: string; id?: string; status?: string; expires_at?: number | null }): Promise<void> {
  // Only a pending discount has a timer; the committed response says whether this one is.
  if (created.object !== "redemption" || created.status !== "pending" || !created.id || !created.expires_at) return;
  try {
    // `expires_at` is in whole seconds (floored); the stored instant may be up to 1 s later, and a job
    // that ran before it would find nothing due. Aim just past it.
    const delay = Math.max(0, (created.expires_at + 1) * 1000 - Date.now());
    await enqueue(deps.queues, "expire-redemption", { redemptionId: created.id }, { jobId: `expire_${created.id}`, delay });
  } catch (error) {
    logEnqueueFailure(deps.logger, "could not schedule expiry; the sweeper will release it", { redemption: created.id })(error);
  }
}
