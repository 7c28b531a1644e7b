import { UnrecoverableError, type Job } from "bullmq";
import type { JobPayload } from "../src/queue/catalog.js";
import { recordFailedRun } from "../src/domain/requests/requests.js";
import { announceOutcomes } from "../src/queue/outcome-notices.js";
import { countFailure } from "./dead-letter.js";
import type { WorkerDeps } from "./deps.js";

/**
 * Runs the REST requests stored by the web process (create, fulfill, reverse, release) — the ones it
 * stored together, or one re-driven alone. The requests of the jobs running at the same moment go into
 * one group commit (`deps.requestRuns`). Safe to run any number of times: the first run that commits
 * completes a request, later runs find nothing to do.
 *
 * A request that failed is counted on its row (dead-lettered at MAX_ATTEMPTS) and the job fails, so
 * BullMQ retries it; the job's other requests are done by then, and the retry finds nothing to do there.
 */
export async function executeRequest(deps: WorkerDeps, job: Job<JobPayload<"execute-request">>) {
  const ids = "requestIds" in job.data ? job.data.requestIds : [job.data.requestId];
  const merchant = ("merchant" in job.data && job.data.merchant) || "";
  const results = await Promise.all(ids.map((id) => deps.requestRuns.add({ id, merchant })));
  let retry: unknown;
  let unknownOperation: string | null | undefined;
  for (const [index, result] of results.entries()) {
    if (!result.ok) {
      const id = ids[index]!;
      const next = await countFailure(deps, result.error, (error, max) => recordFailedRun(deps.db, id, error, max));
      if (next === "retry") retry ??= result.error;
      // Dead-lettered: its row now holds the answer (500), so its waiting handler should read it now.
      else announceOutcomes(deps.redis, deps.config.QUEUE_PREFIX, [id]);
      continue;
    }
    const { outcome } = result;
    if (outcome.outcome === "unknown_operation") unknownOperation = outcome.operation;
  }
  if (retry !== undefined) throw retry;
  // A newer web process stored an operation this worker does not know: let a newer worker take it.
  if (unknownOperation !== undefined) throw new UnrecoverableError(`unknown operation ${unknownOperation}`);
  // Job return values stay in Redis (and on the queue dashboard): counts only, never a response body,
  // which may hold personal data. The waiting web process reads each outcome from Postgres.
  return { requests: ids.length, completed: results.filter((r) => r.ok && r.outcome.outcome === "completed").length };
}
