import { UnrecoverableError } from "bullmq";
import { isOutage } from "../src/ops/outages.js";
import type { WorkerDeps } from "./deps.js";

/** Records one failed run on the stored row; returns `failed` once the row has been dead-lettered. */
export type RecordFailure = (error: string, maxAttempts: number) => Promise<"pending" | "failed" | null>;

/**
 * Runs a job over a stored row (a request, an inbox row) so that poison work stops looping: a run that
 * fails for a reason of its own is counted on the row, with its error, and at MAX_ATTEMPTS the row is
 * dead-lettered — no retry, sweeper or re-drive takes it again. An outage is nobody's fault: it is not
 * counted, BullMQ retries and the sweepers re-drive once the dependency is back.
 */
export async function withDeadLetter<T>(deps: WorkerDeps, run: () => Promise<T>, recordFailure: RecordFailure): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if ((await countFailure(deps, error, recordFailure)) === "dead") throw new UnrecoverableError(`dead-lettered: ${messageOf(error)}`);
    throw error;
  }
}

/**
 * Counts one row's failed run (see `withDeadLetter`), for jobs that run many rows: `retry` when the row
 * should run again (the job fails so BullMQ retries it), `dead` when it has just been dead-lettered.
 */
export async function countFailure(deps: WorkerDeps, error: unknown, recordFailure: RecordFailure): Promise<"retry" | "dead"> {
  if (isOutage(error)) return "retry";
  const status = await recordFailure(messageOf(error), deps.config.MAX_ATTEMPTS).catch(() => null);
  if (status !== "failed") return "retry";
  deps.logger.error({ err: error, max_attempts: deps.config.MAX_ATTEMPTS }, "dead-lettered: failed too often, will not run again");
  return "dead";
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));
