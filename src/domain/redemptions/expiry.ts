import { sql } from "kysely";
import type { Db, Trx } from "../../db/database.js";
import { inTransaction } from "../../db/transaction.js";
import { releaseRedemption } from "./lifecycle.js";

/** A release of an expired discount that threw: which redemption, so its caller can set it aside. */
export class ExpiryFailure extends Error {
  constructor(
    readonly redemptionId: string,
    override readonly cause: unknown,
  ) {
    super(`releasing expired redemption ${redemptionId} failed: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

/**
 * Releases the oldest pending discount past `expires_at` that no other transaction holds, in a
 * transaction of its own: one statement picks and locks it (FOR UPDATE SKIP LOCKED, index
 * `redemptions_expiring`), so concurrent callers — the lanes of every worker process — each take a
 * different one, and a redemption a payment is settling right now is left to that payment. Lock order
 * as every release: the redemption, then its credit targets. `skip`: redemptions the caller set aside
 * after a failure. Returns the id released, or null when nothing (else) is due.
 */
export async function releaseNextExpired(db: Db, skip: readonly string[] = []): Promise<string | null> {
  // Wrapped outside the transaction, so inTransaction still sees (and retries) a deadlock, a
  // serialization failure or a stale plan by its own SQLSTATE.
  let picked: string | undefined;
  try {
    return await inTransaction(db, async (trx) => {
      picked = undefined;
      let query = dueDiscounts(trx).selectAll();
      if (skip.length > 0) query = query.where("id", "<>", sql<string>`ALL(${[...skip]}::text[])`);
      const row = await query.orderBy("expires_at").limit(1).forUpdate().skipLocked().executeTakeFirst();
      if (!row) return null;
      picked = row.id;
      const result = await releaseRedemption(trx, row, "expired");
      if (!result.ok) throw new Error(`a locked pending redemption refused its release (now ${result.row.status})`);
      return row.id;
    });
  } catch (error) {
    if (picked === undefined) throw error;
    throw new ExpiryFailure(picked, error);
  }
}

/** Whether any pending discount is past its time: one indexed read, so an idle round costs one round trip. */
export async function anyExpired(db: Db): Promise<boolean> {
  return (await dueDiscounts(db).select("id").limit(1).executeTakeFirst()) !== undefined;
}

/** Pending discounts past `expires_at`, read through the partial index `redemptions_expiring`. */
function dueDiscounts(db: Db | Trx) {
  return (
    db
      .selectFrom("redemptions")
      // A literal, so a prepared statement's generic plan can still use the partial index (status = 'pending').
      .where("status", "=", sql.lit("pending"))
      .where("expires_at", "<=", new Date())
  );
}
