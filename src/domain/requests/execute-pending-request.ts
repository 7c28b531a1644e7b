import type { Db } from "../../db/database.js";
import { inTransaction } from "../../db/transaction.js";
import { completeRequest, runInSavepoint } from "./requests.js";
import { isWorkerOperation, WORKER_OPERATIONS } from "./operations.js";

export type ExecutionOutcome =
  /** `body` is the stored response, byte for byte: what the web process answers with. */
  | { outcome: "completed"; status: number; body: string }
  /** Already completed, or withdrawn by the web process (timed out, 503): a rerun changes nothing. */
  | { outcome: "nothing_to_do" }
  | { outcome: "unknown_operation"; operation: string | null };

/**
 * Runs a stored request exactly once, however often its job runs. The row lock (FOR UPDATE) serialises
 * concurrent runs; the effect and the stored response commit together, so a crash anywhere before the
 * commit leaves the request pending for a rerun, and a crash after it leaves it completed.
 */
export async function executePendingRequest(
  db: Db,
  requestId: string,
  settings: { pendingTtlSeconds: number },
): Promise<ExecutionOutcome> {
  return inTransaction(db, async (trx) => {
    const row = await trx.selectFrom("idempotency_keys").selectAll().where("id", "=", requestId).forUpdate().executeTakeFirst();
    if (!row || row.status !== "pending") return { outcome: "nothing_to_do" };
    if (!isWorkerOperation(row.operation)) return { outcome: "unknown_operation", operation: row.operation };

    const operation = WORKER_OPERATIONS[row.operation];
    const scope = { merchantId: row.merchant_id, livemode: row.livemode };
    const response = await runInSavepoint(trx, row.request_id, () =>
      operation(trx, scope, row.params as never, { idempotencyId: row.id, pendingTtlSeconds: settings.pendingTtlSeconds }),
    );
    await completeRequest(trx, row.id, response);
    return { outcome: "completed", status: response.status, body: response.body };
  });
}
