import type { Scope, Trx } from "../../db/database.js";
import type { Metadata } from "../../db/tables/account.table.js";
import type { Credit, Discount, Fulfillment, RedemptionStatus, Shipping } from "../../db/tables/redemption.table.js";
import { ApiError } from "../../errors.js";
import { newDiscountCode, newId } from "../../ids.js";
import { buildOutboxEvent } from "../events/outbox.js";
import { ledgerRow, moveBalance } from "../ledger/ledger.js";
import { getReward, type RewardRow } from "../rewards/rewards.js";
import { serializeRedemption, type RedemptionObject, type RedemptionRow } from "./serialize.js";

export interface CreateRedemptionParams {
  account: string;
  reward: string;
  quantity: number;
  shipping?: Shipping | undefined;
  metadata?: Metadata | undefined;
}

export interface CreateRedemptionContext {
  pendingTtlSeconds: number;
  idempotencyId: string | null;
}

interface Artifact {
  status: RedemptionStatus;
  discount: Discount | null;
  credit: Credit | null;
  fulfillment: Fulfillment | null;
}

/**
 * The debit: one transaction that checks, debits, decrements inventory, issues the artifact and
 * records the event. Every refusal is thrown before or instead of a write that would stand, and the
 * caller rolls the transaction (or its savepoint) back, so a refusal leaves nothing behind.
 *
 * Locks are taken in one order — reward row (only when its inventory is limited), then account row —
 * so concurrent redemptions cannot deadlock on each other. Round trips are few on purpose (each costs
 * more than the SQL it carries): read the reward, take inventory, move the balance, then one statement
 * that writes the redemption, its ledger row and its event(s).
 */
export async function createRedemption(
  trx: Trx,
  scope: Scope,
  params: CreateRedemptionParams,
  context: CreateRedemptionContext,
): Promise<RedemptionObject> {
  const reward = await getReward(trx, scope, params.reward, "reward");
  if (!reward.active) throw new ApiError("reward_inactive", `Reward '${reward.id}' is not active.`, "reward");
  const artifact = checkRewardParams(reward, params)(params.quantity);
  const points = reward.cost * params.quantity;
  if (reward.inventory !== null) await takeInventory(trx, reward, params.quantity);

  // The conditional UPDATE refuses a missing or closed account and an overdraft (and says which).
  const redemptionId = newId("redemption");
  const debit = { accountId: params.account, type: "redemption" as const, amount: -points, reason: `redemption of ${reward.id}`, redemptionId, accountParam: "account" };
  const balanceAfter = await moveBalance(trx, scope, debit);

  const now = new Date();
  const row: RedemptionRow = {
    id: redemptionId,
    seq: 0, // assigned by Postgres; not part of the API object
    merchant_id: scope.merchantId,
    livemode: scope.livemode,
    account_id: params.account,
    reward_id: reward.id,
    reward_type: reward.type,
    quantity: params.quantity,
    points,
    status: artifact.status,
    discount: artifact.discount,
    discount_code: artifact.discount?.code ?? null,
    credit: artifact.credit,
    fulfillment: artifact.fulfillment,
    payment_id: null,
    points_transaction_id: newId("pointsTransaction"),
    reversal: null,
    expires_at: artifact.status === "pending" ? new Date(now.getTime() + context.pendingTtlSeconds * 1000) : null,
    // A store credit is issued and applied at once: two status changes (created v1, applied v2).
    version: artifact.status === "applied" ? 2 : 1,
    metadata: params.metadata ?? {},
    idempotency_id: context.idempotencyId,
    created_at: now,
    updated_at: now,
  };
  const redemption = serializeRedemption(row);
  const events = [buildOutboxEvent(scope, { type: "loyalty.redemption.created", redemption: { ...redemption, version: 1 }, at: now })];
  if (artifact.status === "applied") events.push(buildOutboxEvent(scope, { type: "loyalty.redemption.applied", redemption, at: now }));

  // One statement, three tables. A discount code collision (32^8 codes per merchant) fails the unique
  // index and so the whole transaction; the job's retry then draws a new code.
  const { seq: _seq, ...columns } = row;
  await trx
    .with("debit", (db) => db.insertInto("points_transactions").values(ledgerRow(scope, debit, balanceAfter, row.points_transaction_id)))
    .with("event", (db) => db.insertInto("events").values(events))
    .insertInto("redemptions")
    .values({
      ...columns,
      discount: jsonOrNull(row.discount),
      credit: jsonOrNull(row.credit),
      fulfillment: jsonOrNull(row.fulfillment),
      reversal: null,
      metadata: JSON.stringify(row.metadata),
    })
    .execute();
  return redemption;
}

const jsonOrNull = (value: object | null) => (value === null ? null : JSON.stringify(value));

/** Validates the request against the reward's type and returns how to build its artifact. */
function checkRewardParams(reward: RewardRow, params: CreateRedemptionParams): (quantity: number) => Artifact {
  const value = reward.value as Record<string, unknown>;
  switch (reward.type) {
    case "discount_amount": {
      const { amount, currency } = value as { amount: number; currency: string };
      return (quantity) => ({
        status: "pending",
        discount: { amount: amount * quantity, currency, code: newDiscountCode() },
        credit: null,
        fulfillment: null,
      });
    }
    case "discount_percent": {
      if (params.quantity !== 1) {
        throw new ApiError("parameter_invalid", "A percentage discount is redeemed one at a time: quantity must be 1.", "quantity");
      }
      const { percent } = value as { percent: number };
      return () => ({ status: "pending", discount: { percent, code: newDiscountCode() }, credit: null, fulfillment: null });
    }
    case "free_product": {
      const shipping = params.shipping;
      if (!shipping) throw new ApiError("parameter_missing", "A free_product reward needs `shipping`.", "shipping");
      const { product, quantity: perUnit = 1 } = value as { product: string; quantity?: number };
      return (quantity) => ({
        status: "fulfillment_pending",
        discount: null,
        credit: null,
        fulfillment: { product, quantity: perUnit * quantity, shipping, carrier: null, tracking: null, shipped_at: null },
      });
    }
    case "store_credit": {
      const { amount, currency } = value as { amount: number; currency: string };
      return (quantity) => ({ status: "applied", discount: null, credit: { amount: amount * quantity, currency }, fulfillment: null });
    }
  }
}

async function takeInventory(trx: Trx, reward: RewardRow, quantity: number): Promise<void> {
  const taken = await trx
    .updateTable("rewards")
    .set((eb) => ({ inventory: eb("inventory", "-", quantity) }))
    .where("id", "=", reward.id)
    .where("inventory", ">=", quantity)
    .returning("inventory")
    .executeTakeFirst();
  if (!taken) throw new ApiError("reward_out_of_stock", `Reward '${reward.id}' is out of stock.`, "reward");
}
