import { UnrecoverableError, type Job } from "bullmq";
import { executePendingRequest } from "../src/domain/requests/execute-pending-request.js";
import type { JobPayload } from "../src/queue/catalog.js";
import { recordFailedRun } from "../src/domain/requests/requests.js";
import { withDeadLetter } from "./dead-letter.js";
import type { WorkerDeps } from "./deps.js";
import { scheduleExpiry } from "./expire-redemption.js";

/**
 * Runs a REST request stored by the web process (create, fulfill, reverse, release). Safe to run any
 * number of times: the first run that commits completes the request, later runs find nothing to do.
 */
export async function executeRequest(deps: WorkerDeps, job: Job<JobPayload<"execute-request">>) {
  const { requestId } = job.data;
  const result = await withDeadLetter(
    deps,
    () => executePendingRequest(deps.db, requestId, { pendingTtlSeconds: deps.config.REDEMPTION_PENDING_TTL_SECONDS, logger: deps.logger }),
    (error, maxAttempts) => recordFailedRun(deps.db, requestId, error, maxAttempts),
  );
  if (result.outcome === "unknown_operation") {
    // A newer web process stored an operation this worker does not know: let a newer worker take it.
    throw new UnrecoverableError(`unknown operation ${result.operation}`);
  }
  // A discount created by this run waits for its payment until `expires_at`: start its timer now that
  // the create has committed.
  if (result.outcome === "completed" && result.status === 201) await scheduleExpiry(deps, JSON.parse(result.body));
  // Job return values stay in Redis (and on the queue dashboard): outcome and status only, never the
  // response body, which may hold personal data. The waiting web process reads the body from Postgres.
  return result.outcome === "completed" ? { outcome: result.outcome, status: result.status } : { outcome: result.outcome };
}
