import type { Updateable } from "kysely";
import type { Scope, Trx } from "../../db/database.js";
import type { RedemptionStatus, RedemptionTable } from "../../db/tables/redemption.table.js";
import { insertOutboxEvent, type RedemptionEventType } from "../events/outbox.js";
import { postPointsEntry } from "../ledger/ledger.js";
import type { RedemptionRow } from "./serialize.js";
import { serializeRedemption } from "./serialize.js";

export interface TransitionSpec {
  /** Statuses the edge may leave from: the compare-and-set refuses every other. */
  from: readonly RedemptionStatus[];
  to: RedemptionStatus;
  event: RedemptionEventType;
  /** Points go back to the member (release or reversal), with inventory restored. */
  credit?: { type: "release" | "reversal"; reason: string } | undefined;
  /** Columns changed together with the status (payment link, fulfillment details). */
  set?: Updateable<RedemptionTable> | undefined;
}

/** A refusal is a value: REST turns it into a 422, webhooks record it on the inbox row. */
export type TransitionResult = { ok: true; row: RedemptionRow } | { ok: false; row: RedemptionRow };

export const scopeOf = (row: RedemptionRow): Scope => ({ merchantId: row.merchant_id, livemode: row.livemode });

/**
 * One status change, in the caller's transaction, on a row it has locked (locks.ts): compare-and-set
 * on status with version + 1, the credit-back and inventory restore where the edge returns points, and
 * the event row. Points return at most once: the status guard refuses a second move out of a live
 * status, and the unique index `points_transactions_one_credit` makes a second credit impossible even
 * if that guard were bypassed.
 */
export async function applyTransition(trx: Trx, current: RedemptionRow, spec: TransitionSpec): Promise<TransitionResult> {
  const now = new Date();
  const moved = await trx
    .updateTable("redemptions")
    .set((eb) => ({ ...spec.set, status: spec.to, version: eb("version", "+", 1), updated_at: now }))
    .where("id", "=", current.id)
    .where("status", "in", [...spec.from])
    .returningAll()
    .executeTakeFirst();
  if (!moved) {
    const row = await trx.selectFrom("redemptions").selectAll().where("id", "=", current.id).executeTakeFirstOrThrow();
    return { ok: false, row };
  }

  let row = moved;
  if (spec.credit) {
    // Reward before account: the lock order (locks.ts), the one create's statement follows.
    await restoreInventory(trx, row);
    const credit = await postPointsEntry(trx, scopeOf(row), {
      accountId: row.account_id,
      type: spec.credit.type,
      amount: row.points,
      reason: spec.credit.reason,
      redemptionId: row.id,
    });
    if (spec.credit.type === "reversal") {
      row = await trx
        .updateTable("redemptions")
        .set({ reversal: JSON.stringify({ reason: spec.credit.reason, points_transaction: credit.id }) })
        .where("id", "=", row.id)
        .returningAll()
        .executeTakeFirstOrThrow();
    }
  }
  await insertOutboxEvent(trx, scopeOf(row), { type: spec.event, redemption: serializeRedemption(row), at: now });
  return { ok: true, row };
}

/**
 * Gives the units back when the reward counts them. A reward whose inventory is unlimited (null) now
 * stays unlimited: there is nothing to restore.
 */
async function restoreInventory(trx: Trx, row: RedemptionRow): Promise<void> {
  await trx
    .updateTable("rewards")
    .set((eb) => ({ inventory: eb("inventory", "+", row.quantity), updated_at: new Date() }))
    .where("id", "=", row.reward_id)
    .where("inventory", "is not", null)
    .execute();
}
