import { sql } from "kysely";
import type { Db, Trx } from "../../db/database.js";
import { inTransaction } from "../../db/transaction.js";
import { dataErrorRefusal, DATA_ERROR_LOG, isDataError } from "../../db/data-errors.js";
import { ApiError, isApiError } from "../../errors.js";
import type { Logger } from "../../logger.js";
import { cancelPendingRequest, completeRequest } from "./requests.js";
import { isWorkerOperation, WORKER_OPERATIONS, type WorkerOperationResult } from "./operations.js";

export type ExecutionOutcome =
  /** `body` is the stored response, byte for byte: what the web process answers with. */
  | { outcome: "completed"; status: number; body: string }
  /** Already completed, withdrawn by the web process (503), or past its deadline: a rerun changes nothing. */
  | { outcome: "nothing_to_do" }
  | { outcome: "unknown_operation"; operation: string | null };

/**
 * Runs a stored request exactly once, however often its job runs. The row lock (FOR UPDATE) serialises
 * concurrent runs; the effect and the stored response commit together, so a crash anywhere before the
 * commit leaves the request pending for a rerun, and a crash after it leaves it completed. A refusal
 * (4xx) rolls the operation back entirely and is stored by a second, short transaction: no savepoint on
 * the success path, which is one round trip less on every request.
 */
export async function executePendingRequest(
  db: Db,
  requestId: string,
  settings: { pendingTtlSeconds: number; logger?: Logger },
): Promise<ExecutionOutcome> {
  try {
    return await inTransaction(db, async (trx) => {
      const row = await lockPendingRequest(trx, requestId);
      if (!row) return { outcome: "nothing_to_do" };
      if (!isWorkerOperation(row.operation)) return { outcome: "unknown_operation", operation: row.operation };
      const scope = { merchantId: row.merchant_id, livemode: row.livemode };
      let result: WorkerOperationResult;
      try {
        result = await WORKER_OPERATIONS[row.operation](trx, scope, row.params as never, { idempotencyId: row.id, pendingTtlSeconds: settings.pendingTtlSeconds });
      } catch (error) {
        // An expected refusal: leave the transaction by throwing, so everything the operation wrote
        // before it found out (an inventory take, a status change) is rolled back.
        if (isApiError(error) && error.status < 500) throw new Refusal(error, row.request_id);
        // Postgres refused a value validation let through: a refusal like any other 400, stored for
        // replay, rather than an error the job would retry until it is dead-lettered.
        if (isDataError(error)) {
          settings.logger?.error({ err: error, request: row.id, operation: row.operation }, DATA_ERROR_LOG);
          throw new Refusal(dataErrorRefusal(), row.request_id);
        }
        throw error;
      }
      if (!result.requestCompleted) await completeRequest(trx, row.id, result.response);
      return { outcome: "completed", status: result.response.status, body: result.response.body };
    });
  } catch (error) {
    // The COMMIT came after the request's deadline (the trigger refused it): its client is answered 503.
    if ((error as { code?: string }).code === MISSED_DEADLINE) {
      await cancelPendingRequest(db, requestId);
      return { outcome: "nothing_to_do" };
    }
    if (!(error instanceof Refusal)) throw error;
    return recordRefusal(db, requestId, error);
  }
}

/** SQLSTATE raised by the `idempotency_keys_meet_deadline` trigger. */
const MISSED_DEADLINE = "LR001";

class Refusal extends Error {
  constructor(
    readonly error: ApiError,
    /** The HTTP request's id, quoted in the stored error body. */
    readonly httpRequestId: string,
  ) {
    super(error.message);
  }
}

/**
 * Stores the refusal as the request's outcome, in a transaction of its own (the operation's rolled
 * back). If another run completed the request meanwhile, its outcome stands and this one is dropped.
 */
async function recordRefusal(db: Db, requestId: string, refusal: Refusal): Promise<ExecutionOutcome> {
  return inTransaction(db, async (trx) => {
    const row = await lockPendingRequest(trx, requestId);
    if (!row) return { outcome: "nothing_to_do" };
    const response = { status: refusal.error.status, body: JSON.stringify(refusal.error.body(refusal.httpRequestId)) };
    await completeRequest(trx, row.id, response);
    return { outcome: "completed", status: response.status, body: response.body };
  });
}

/**
 * The request, locked, if it may still run: pending and not past its deadline. One past its deadline is
 * withdrawn here (its client has been or is being answered 503; nothing may happen for it any more).
 */
async function lockPendingRequest(trx: Trx, requestId: string) {
  const row = await trx
    .selectFrom("idempotency_keys")
    .selectAll()
    .select(sql<boolean>`deadline_at IS NOT NULL AND deadline_at <= clock_timestamp()`.as("overdue"))
    .where("id", "=", requestId)
    .forUpdate()
    .executeTakeFirst();
  if (row?.status !== "pending") return undefined;
  if (row.overdue) {
    await cancelPendingRequest(trx, requestId);
    return undefined;
  }
  return row;
}
