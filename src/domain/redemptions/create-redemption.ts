import type { Insertable } from "kysely";
import type { Scope, Trx } from "../../db/database.js";
import type { Metadata } from "../../db/tables/account.table.js";
import type { Credit, Discount, Fulfillment, RedemptionStatus, RedemptionTable, Shipping } from "../../db/tables/redemption.table.js";
import type { RewardRow } from "../rewards/rewards.js";
import { ApiError } from "../../errors.js";
import { newDiscountCode, newId } from "../../ids.js";
import { accountClosed, getAccount } from "../accounts/accounts.js";
import { insertOutboxEvent } from "../events/outbox.js";
import { postPointsEntry } from "../ledger/ledger.js";
import { getReward } from "../rewards/rewards.js";
import { serializeRedemption, type RedemptionObject } from "./serialize.js";

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
 * so concurrent redemptions cannot deadlock on each other.
 */
export async function createRedemption(
  trx: Trx,
  scope: Scope,
  params: CreateRedemptionParams,
  context: CreateRedemptionContext,
): Promise<RedemptionObject> {
  // Fail fast on what a read can tell; the conditional writes below re-check under lock.
  const account = await getAccount(trx, scope, params.account, "account");
  const reward = await getReward(trx, scope, params.reward, "reward");
  if (account.status !== "active") throw accountClosed(account.id);
  if (!reward.active) throw new ApiError("reward_inactive", `Reward '${reward.id}' is not active.`, "reward");
  const artifactShape = checkRewardParams(reward, params);

  const quantity = params.quantity;
  const points = reward.cost * quantity;
  if (reward.inventory !== null) await takeInventory(trx, reward, quantity);

  const redemptionId = newId("redemption");
  const debit = await postPointsEntry(trx, scope, {
    accountId: account.id,
    type: "redemption",
    amount: -points,
    reason: `redemption of ${reward.id}`,
    redemptionId,
    accountParam: "account",
  });

  const now = new Date();
  const artifact = artifactShape(quantity);
  // A store credit is issued and applied at once: two status changes (created v1, applied v2).
  const finalVersion = artifact.status === "applied" ? 2 : 1;
  const row = await insertWithUniqueCode(trx, artifact, (discount) => ({
    id: redemptionId,
    merchant_id: scope.merchantId,
    livemode: scope.livemode,
    account_id: account.id,
    reward_id: reward.id,
    reward_type: reward.type,
    quantity,
    points,
    status: artifact.status,
    discount: discount ? JSON.stringify(discount) : null,
    discount_code: discount?.code ?? null,
    credit: artifact.credit ? JSON.stringify(artifact.credit) : null,
    fulfillment: artifact.fulfillment ? JSON.stringify(artifact.fulfillment) : null,
    payment_id: null,
    points_transaction_id: debit.id,
    reversal: null,
    expires_at: artifact.status === "pending" ? new Date(now.getTime() + context.pendingTtlSeconds * 1000) : null,
    version: finalVersion,
    metadata: JSON.stringify(params.metadata ?? {}),
    idempotency_id: context.idempotencyId,
    created_at: now,
    updated_at: now,
  }));

  const redemption = serializeRedemption(row);
  await insertOutboxEvent(trx, scope, { type: "loyalty.redemption.created", redemption: { ...redemption, version: 1 }, at: now });
  if (artifact.status === "applied") {
    await insertOutboxEvent(trx, scope, { type: "loyalty.redemption.applied", redemption, at: now });
  }
  return redemption;
}

/** Validates the request against the reward's type and returns how to build its artifact. */
function checkRewardParams(reward: RewardRow, params: CreateRedemptionParams): (quantity: number) => Artifact {
  const value = reward.value as Record<string, unknown>;
  switch (reward.type) {
    case "discount_amount": {
      const { amount, currency } = value as { amount: number; currency: string };
      return (quantity) => ({
        status: "pending",
        discount: { amount: amount * quantity, currency, code: "" },
        credit: null,
        fulfillment: null,
      });
    }
    case "discount_percent": {
      if (params.quantity !== 1) {
        throw new ApiError("parameter_invalid", "A percentage discount is redeemed one at a time: quantity must be 1.", "quantity");
      }
      const { percent } = value as { percent: number };
      return () => ({ status: "pending", discount: { percent, code: "" }, credit: null, fulfillment: null });
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

/**
 * Inserts the redemption; for discounts, draws codes until one is free. ON CONFLICT DO NOTHING keeps a
 * collision from aborting the transaction. With 32^8 codes a retry is already rare; five is plenty.
 */
async function insertWithUniqueCode(
  trx: Trx,
  artifact: Artifact,
  build: (discount: Discount | null) => Insertable<RedemptionTable>,
) {
  for (let attempt = 0; attempt < 5; attempt++) {
    const discount = artifact.discount ? { ...artifact.discount, code: newDiscountCode() } : null;
    const row = await trx
      .insertInto("redemptions")
      .values(build(discount))
      .onConflict((oc) => oc.columns(["merchant_id", "discount_code"]).where("discount_code", "is not", null).doNothing())
      .returningAll()
      .executeTakeFirst();
    if (row) return row;
  }
  throw new Error("could not draw a free discount code in 5 attempts");
}
