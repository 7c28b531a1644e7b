import type { Selectable } from "kysely";
import type { Scope, Trx } from "../../db/database.js";
import type { AppliedDiscount, TestPaymentTable } from "../../db/tables/test-payment.table.js";
import { ApiError, notFound } from "../../errors.js";
import { newId } from "../../ids.js";
import { unixSeconds } from "../pagination.js";
import { lockRedemptions } from "../redemptions/locks.js";
import { applyDiscounts, normaliseCardNumber, TEST_CARDS, type DiscountValue } from "./cards.js";
import { sendProviderEvents, type ProviderEventType } from "./provider-events.js";

type TestPaymentRow = Selectable<TestPaymentTable>;

export interface CreateTestPaymentInput {
  amount: number;
  currency: string;
  card: { number: string };
  discounts?: { redemption: string }[] | undefined;
  customer?: string | undefined;
}

export function serializeTestPayment(row: TestPaymentRow) {
  return {
    id: row.id,
    object: "payment" as const,
    amount: row.amount,
    amount_discount: row.amount_discount,
    amount_charged: row.amount_charged,
    currency: row.currency,
    status: row.status,
    discounts: row.discounts,
    failure_code: row.failure_code,
    customer: row.customer,
    card: { last4: row.card_last4 },
    livemode: false as const,
    created: unixSeconds(row.created_at),
  };
}
export type SerializedTestPayment = ReturnType<typeof serializeTestPayment>;

/** The provider's events for a new payment: it is created, then its card decides what follows. */
const EVENTS_AT_CREATION: Record<TestPaymentRow["status"], ProviderEventType[]> = {
  completed: ["payment.created", "payment.completed"],
  failed: ["payment.created", "payment.failed"],
  requires_authentication: ["payment.created", "payment.requires_authentication"],
  expired: [],
};

/**
 * `POST /v1/test/payments` in the caller's transaction: checks every discount, records the payment,
 * and stores its signed provider events in the inbox. The redemptions change later, when those events
 * are processed, exactly as they would for a real provider.
 */
export async function createTestPayment(trx: Trx, scope: Scope, input: CreateTestPaymentInput): Promise<{ payment: SerializedTestPayment; inboxIds: string[] }> {
  const card = TEST_CARDS[normaliseCardNumber(input.card.number)];
  if (!card) {
    throw new ApiError("parameter_invalid", `Unknown test card. Use one of: ${Object.keys(TEST_CARDS).join(", ")}.`, "card.number");
  }
  const refs = input.discounts ?? [];
  const values = await checkDiscounts(trx, scope, input.currency, refs.map((ref) => ref.redemption));
  const taken = applyDiscounts(input.amount, values);
  const discounts: AppliedDiscount[] = refs.map((ref, i) => ({ redemption: ref.redemption, amount: taken[i]! }));
  const amountDiscount = taken.reduce((sum, amount) => sum + amount, 0);

  const row = await trx
    .insertInto("test_payments")
    .values({
      id: newId("payment"),
      merchant_id: scope.merchantId,
      amount: input.amount,
      amount_discount: amountDiscount,
      amount_charged: input.amount - amountDiscount,
      currency: input.currency,
      card_last4: normaliseCardNumber(input.card.number).slice(-4),
      status: card.status,
      failure_code: card.failureCode,
      discounts: JSON.stringify(discounts),
      customer: input.customer ?? null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  const payment = serializeTestPayment(row);
  return { payment, inboxIds: await sendProviderEvents(trx, scope.merchantId, payment, EVENTS_AT_CREATION[card.status]) };
}

/**
 * Each discount must be a pending discount redemption of this merchant in test mode, not already held
 * by another payment, and an amount discount must be in the payment's currency. Rows are locked in id
 * order (locks.ts, as the payment rules do) so a concurrent release cannot slip between the check and
 * the commit.
 */
async function checkDiscounts(trx: Trx, scope: Scope, currency: string, ids: string[]): Promise<DiscountValue[]> {
  if (new Set(ids).size !== ids.length) throw new ApiError("parameter_invalid", "A redemption can be applied once per payment.", "discounts");
  const rows = await lockRedemptions(trx, scope, ids);
  return ids.map((id, i) => {
    const row = rows.get(id);
    const param = `discounts.${i}.redemption`;
    if (!row) throw notFound("redemption", id, param);
    if (row.status !== "pending" || !row.discount) {
      throw new ApiError("invalid_state_transition", `Redemption ${id} is ${row.status}; only a pending discount can be applied to a payment.`, param);
    }
    if (row.payment_id !== null) {
      throw new ApiError("invalid_state_transition", `Redemption ${id} is already attached to payment ${row.payment_id}.`, param);
    }
    const discount = row.discount;
    if ("currency" in discount && discount.currency !== currency) {
      throw new ApiError("currency_mismatch", `Redemption ${id} is a ${discount.currency} discount; the payment is in ${currency}.`, param);
    }
    return "percent" in discount ? { percent: discount.percent } : { amount: discount.amount, currency: discount.currency };
  });
}

/**
 * `POST /v1/test/payments/:id/expire`: the customer never completed authentication. Only a payment
 * waiting for it can expire; the status guard in the UPDATE makes two racing expiries expire it once.
 */
export async function expireTestPayment(trx: Trx, scope: Scope, id: string): Promise<{ payment: SerializedTestPayment; inboxIds: string[] }> {
  const row = await trx
    .updateTable("test_payments")
    .set({ status: "expired", updated_at: new Date() })
    .where("id", "=", id)
    .where("merchant_id", "=", scope.merchantId)
    .where("status", "=", "requires_authentication")
    .returningAll()
    .executeTakeFirst();
  if (!row) {
    const existing = await trx.selectFrom("test_payments").select("status").where("id", "=", id).where("merchant_id", "=", scope.merchantId).executeTakeFirst();
    if (!existing) throw notFound("payment", id, "id");
    throw new ApiError("invalid_state_transition", `Payment ${id} is ${existing.status}; only a payment that requires authentication can expire.`);
  }
  const payment = serializeTestPayment(row);
  return { payment, inboxIds: await sendProviderEvents(trx, scope.merchantId, payment, ["payment.expired"]) };
}
