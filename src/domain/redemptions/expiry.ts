import { sql } from "kysely";
import type { Db } from "../../db/database.js";
import { inTransaction } from "../../db/transaction.js";
import { releaseRedemption } from "./lifecycle.js";
import { lockRedemptionUnlessBusy } from "./locks.js";

export type ExpiryOutcome = "released" | "not_due" | "not_pending" | "busy";

/**
 * Releases a pending discount whose `expires_at` has passed, for the worker's expiry loop. A redemption
 * another transaction holds right now (a payment settling it, or another worker's expiry) is skipped,
 * not waited for: that transaction decides it, or the next round finds it still due. One paid or
 * released meanwhile is found no longer pending and left alone; one not yet due by this process's
 * clock (skew between a reader and a releaser) is left for a later round.
 */
export async function expireRedemption(db: Db, redemptionId: string): Promise<ExpiryOutcome> {
  return inTransaction(db, async (trx) => {
    const row = await lockRedemptionUnlessBusy(trx, redemptionId);
    if (!row) return "busy";
    if (row.status !== "pending" || row.expires_at === null) return "not_pending";
    if (row.expires_at.getTime() > Date.now()) return "not_due";
    const result = await releaseRedemption(trx, row, "expired");
    return result.ok ? "released" : "not_pending";
  });
}

/** Pending discounts past their time (index `redemptions_expiring`), oldest first. */
export async function findExpiredRedemptionIds(db: Db, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom("redemptions")
    .select("id")
    // A literal, so a prepared statement's generic plan can still use the partial index (status = 'pending').
    .where("status", "=", sql.lit("pending"))
    .where("expires_at", "<=", new Date())
    .orderBy("expires_at")
    .limit(limit)
    .execute();
  return rows.map((row) => row.id);
}
