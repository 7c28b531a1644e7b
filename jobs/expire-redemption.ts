import type { Job } from "bullmq";
import { expireRedemption } from "../src/domain/redemptions/expiry.js";
import type { JobPayload } from "../src/queue/catalog.js";
import { enqueueMany } from "../src/queue/producer.js";
import { logEnqueueFailure } from "../src/ops/outages.js";
import type { WorkerDeps } from "./deps.js";

/** Auto-release of a pending discount at `expires_at` (delayed job; the sweeper is the safety net). */
export async function expireRedemptionJob(deps: WorkerDeps, job: Job<JobPayload<"expire-redemption">>) {
  return { outcome: await expireRedemption(deps.db, job.data.redemptionId) };
}

/**
 * Called after create requests committed (never inside their transaction: a job could run before the
 * commit or after a rollback). Failure here is harmless: the expiry sweeper finds each redemption in
 * Postgres once it is due, so the error is logged and the create job still succeeds.
 */
export async function scheduleExpiries(deps: WorkerDeps, created: { object?: string; id?: string; status?: string; expires_at?: number | null }[]): Promise<void> {
  // Only a pending discount has a timer; the committed response says whether this one is.
  const timers = created.filter((c) => c.object === "redemption" && c.status === "pending" && c.id && c.expires_at);
  if (timers.length === 0) return;
  try {
    // `expires_at` is in whole seconds (floored); the stored instant may be up to 1 s later, and a job
    // that ran before it would find nothing due. Aim just past it.
    await enqueueMany(
      deps.queues,
      "expire-redemption",
      timers.map((c) => ({ payload: { redemptionId: c.id! }, jobId: `expire_${c.id}`, delay: Math.max(0, (c.expires_at! + 1) * 1000 - Date.now()) })),
    );
  } catch (error) {
    logEnqueueFailure(deps.logger, "could not schedule expiry; the sweeper will release it", { redemptions: timers.length })(error);
  }
}
