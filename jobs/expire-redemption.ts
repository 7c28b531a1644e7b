import type { Job } from "bullmq";
import { expireRedemption } from "../src/domain/redemptions/expiry.js";
import type { JobPayload } from "../src/queue/catalog.js";
import { enqueue } from "../src/queue/producer.js";
import { logEnqueueFailure } from "../src/ops/outages.js";
import type { WorkerDeps } from "./deps.js";

/**
 * Auto-release of pending discounts at `expires_at` (delayed job; the sweeper is the safety net). Each
 * is released in its own transaction: one that was paid meanwhile is left alone, the others go on.
 */
export async function expireRedemptionJob(deps: WorkerDeps, job: Job<JobPayload<"expire-redemption">>) {
  const ids = "redemptionIds" in job.data ? job.data.redemptionIds : [job.data.redemptionId];
  const outcomes: Record<string, number> = {};
  for (const id of ids) {
    const outcome = await expireRedemption(deps.db, id);
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
  }
  return outcomes;
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
  // `expires_at` is in whole seconds (floored); the stored instant may be up to 1 s later, and a job
  // that ran before it would find nothing due. Aim just past the latest of them.
  const latest = Math.max(...timers.map((c) => c.expires_at!));
  try {
    await enqueue(
      deps.queues,
      "expire-redemption",
      { redemptionIds: timers.map((c) => c.id!) },
      { jobId: `expire_${timers[0]!.id}`, delay: Math.max(0, (latest + 1) * 1000 - Date.now()) },
    );
  } catch (error) {
    logEnqueueFailure(deps.logger, "could not schedule expiry; the sweeper will release it", { redemptions: timers.length })(error);
  }
}
