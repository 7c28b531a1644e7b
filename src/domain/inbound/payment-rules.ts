import { z } from "zod";
import type { Scope, Trx } from "../../db/database.js";
import type { InboundResult } from "../../db/tables/inbound-webhook.table.js";
import { insertOutboxEvent } from "../events/outbox.js";
import { releaseRedemption, settleRedemption, type ReleaseReason } from "../redemptions/lifecycle.js";
import { serializeRedemption, type RedemptionRow } from "../redemptions/serialize.js";
import { forEachReferencedRedemption, summarise } from "./resolve.js";

const LINK_TYPES = new Set(["payment.created", "payment.processing", "payment.requires_authentication"]);
const COMPLETE_TYPES = new Set(["payment.completed", "payment.succeeded"]);
const RELEASE_TYPES: Record<string, ReleaseReason> = {
  "payment.canceled": "payment_canceled",
  "payment.cancelled": "payment_canceled",
  "payment.failed": "payment_failed",
  "payment.expired": "payment_expired",
};

const paymentObject = z.object({
  id: z.string().min(1).max(255),
  amount: z.number().int().nonnegative().optional(),
  currency: z.string().optional(),
  discounts: z
    .array(z.union([z.object({ redemption: z.string().min(1) }), z.object({ code: z.string().min(1) })]))
    .max(100)
    .default([]),
});
type Payment = z.infer<typeof paymentObject>;

export interface RuleOutcome {
  outcome: string;
  results: InboundResult[];
}

/**
 * Payment provider events (docs/api.md §5). Arrivals may be late, repeated or out of order; every decision
 * is taken on the locked row, so the result is the same whatever order two events commit in, and a
 * repeat finds the work done (recorded as `already_*`).
 */
export async function applyPaymentEvent(trx: Trx, scope: Scope, type: string, object: unknown): Promise<RuleOutcome> {
  const kind = kindOf(type);
  if (!kind) return { outcome: "ignored", results: [] };
  const parsed = paymentObject.safeParse(object);
  if (!parsed.success) return { outcome: "invalid_payload", results: [] };
  const payment = parsed.data;

  // Only a release gives points (and units) back, and only to a redemption still pending.
  const mayCredit = kind === "release" ? (row: RedemptionRow) => row.status === "pending" : undefined;
  const results = await forEachReferencedRedemption(trx, scope, payment.discounts, async (row) => {
    if (row.reward_type !== "discount_amount" && row.reward_type !== "discount_percent") return "not_a_discount";
    // A redemption belongs to the first payment it was linked to; other payments' events are ignored.
    if (row.payment_id !== null && row.payment_id !== payment.id) return "ignored_other_payment";
    if (kind === "link") {
      const mismatch = settlementMismatch(row, payment);
      return mismatch ?? link(trx, row, payment.id);
    }
    if (kind === "complete") return complete(trx, scope, row, payment);
    // A release gives the discount back, so the amount does not matter; the currency still tells
    // whether an unlinked payment is the one that held it. The linked payment's release always counts.
    if (row.payment_id !== payment.id && currencyMismatch(row, payment)) return "currency_mismatch";
    return release(trx, row, payment.id, RELEASE_TYPES[type]!);
  }, mayCredit);
  return { outcome: summarise(results), results };
}

const kindOf = (type: string) => (LINK_TYPES.has(type) ? "link" : COMPLETE_TYPES.has(type) ? "complete" : RELEASE_TYPES[type] ? "release" : null);

/**
 * What `applyPaymentEvent` comes to for an event that cannot touch a redemption — a type we ignore, an
 * object we cannot read, a payment without loyalty discounts (most payments) — decided without a
 * transaction; null when the event names a redemption and must be applied under its lock.
 */
export function paymentEventWithoutEffect(type: string, object: unknown): RuleOutcome | null {
  if (!kindOf(type)) return { outcome: "ignored", results: [] };
  const parsed = paymentObject.safeParse(object);
  if (!parsed.success) return { outcome: "invalid_payload", results: [] };
  // No reference: nothing is resolved or locked, and `summarise([])` is `ignored`.
  return parsed.data.discounts.length === 0 ? { outcome: "ignored", results: [] } : null;
}

type Mismatch = "currency_mismatch" | "amount_below_discount";

/**
 * Whether this payment can carry this discount (docs/lifecycle.md, "Settlement checks"), checked on every
 * link and completion, linked or not: a link or an earlier event proves nothing about this one.
 */
function settlementMismatch(row: RedemptionRow, payment: Payment): Mismatch | null {
  if (currencyMismatch(row, payment)) return "currency_mismatch";
  if (amountBelowDiscount(row, payment)) return "amount_below_discount";
  return null;
}

/**
 * An amount discount is money in one currency: a payment in another currency cannot consume it. A
 * payment without a currency cannot be checked, so it is treated as a mismatch. A percentage discount
 * carries no currency, so any currency passes.
 */
function currencyMismatch(row: RedemptionRow, payment: Payment): boolean {
  const discount = row.discount;
  if (!discount || !("currency" in discount)) return false;
  return payment.currency?.toUpperCase() !== discount.currency.toUpperCase();
}

/**
 * The payment's `amount` is the order total before discounts (the sandbox's `amount`, beside
 * `amount_discount` and `amount_charged`), in the minor units the discount is in. It must cover the whole
 * amount discount, so the charge never has to go below zero: an order smaller than the discount means
 * the provider granted less than the member paid points for (or the event is wrong). Each discount is
 * checked on its own. Without an `amount` nothing can be checked: treated as below. Percentages always fit.
 */
function amountBelowDiscount(row: RedemptionRow, payment: Payment): boolean {
  const discount = row.discount;
  if (!discount || !("amount" in discount)) return false;
  return payment.amount === undefined || payment.amount < discount.amount;
}

async function link(trx: Trx, row: RedemptionRow, paymentId: string): Promise<string> {
  if (row.payment_id === paymentId) return "already_linked";
  if (row.status !== "pending") return "not_pending";
  // Linking is not a status change: no version bump, no event.
  await trx.updateTable("redemptions").set({ payment_id: paymentId, updated_at: new Date() }).where("id", "=", row.id).execute();
  return "linked";
}

async function complete(trx: Trx, scope: Scope, row: RedemptionRow, payment: Payment): Promise<string> {
  if (row.status === "applied") return "already_applied";
  if (row.status === "pending") {
    // The provider may already have granted the discount on a payment that cannot carry it: never
    // apply; leave it pending (the merchant releases it, a correct completion applies it, or it expires)
    // and tell the merchant with a settlement conflict.
    const mismatch = settlementMismatch(row, payment);
    if (mismatch) {
      await recordConflict(trx, scope, row);
      return mismatch;
    }
    return (await settleRedemption(trx, row, payment.id)).ok ? "applied" : "invalid_state_transition";
  }
  // Released or reversed: points are back with the member, the code is void. Never resurrect; tell the
  // merchant, who has sold at a discount we no longer back.
  await recordConflict(trx, scope, row);
  return "settlement_conflict";
}

async function release(trx: Trx, row: RedemptionRow, paymentId: string, reason: ReleaseReason): Promise<string> {
  if (row.status === "released") return "already_released";
  // A completed payment cannot be canceled afterwards (a refund is another flow): keep it applied.
  if (row.status === "applied") return "ignored_already_applied";
  if (row.status !== "pending") return "not_pending";
  return (await releaseRedemption(trx, row, reason, paymentId)).ok ? "released" : "invalid_state_transition";
}

/** Not a status change: carries the current version (the events unique index exempts this type). */
async function recordConflict(trx: Trx, scope: Scope, row: RedemptionRow): Promise<void> {
  await insertOutboxEvent(trx, scope, { type: "loyalty.redemption.settlement_conflict", redemption: serializeRedemption(row) });
}
