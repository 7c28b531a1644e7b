import type { Job } from "bullmq";
import { expireRedemption, findExpiringRedemptionOfRequest } from "../src/domain/redemptions/expiry.js";
import type { JobPayload } from "../src/queue/catalog.js";
import { enqueue } from "../src/queue/producer.js";
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
export async function scheduleExpiry(deps: WorkerDeps, requestId: string): Promise<void> {
  try {
    const redemption = await findExpiringRedemptionOfRequest(deps.db, requestId);
    if (!redemption) return;
    const delay = Math.max(0, redemption.expiresAt.getTime() - Date.now());
    await enqueue(deps.queues, "expire-redemption", { redemptionId: redemption.id }, { jobId: `expire_${redemption.id}`, delay });
  } catch (error) {
    deps.logger.warn({ err: error, request: requestId }, "could not schedule expiry; the sweeper will release it");
  }
}
