import type { Trx } from "../../db/database.js";
import type { RedemptionStatus } from "../../db/tables/redemption.table.js";
import { ApiError } from "../../errors.js";
import type { RedemptionRow } from "./serialize.js";
import { applyTransition, type TransitionResult } from "./transition.js";

/**
 * The edges of docs/api.md §4 after creation. Each function takes the row already locked by the caller
 * (`lockRedemption`, locks.ts) and returns a value; none throws for a refused edge.
 */

export const REVERSAL_REASONS = ["item_returned", "applied_in_error", "requested_by_customer", "fraudulent", "other"] as const;
export type ReversalReason = (typeof REVERSAL_REASONS)[number];

/** Why points came back on a release; kept as the ledger row's `reason`. */
export type ReleaseReason = "requested" | "expired" | "payment_canceled" | "payment_failed" | "payment_expired";

const isDiscount = (row: RedemptionRow) => row.reward_type === "discount_amount" || row.reward_type === "discount_percent";

/** pending → applied: the linked payment completed. The payment id is recorded with the status. */
export function settleRedemption(trx: Trx, row: RedemptionRow, paymentId: string): Promise<TransitionResult> {
  return applyTransition(trx, row, {
    from: ["pending"],
    to: "applied",
    event: "loyalty.redemption.applied",
    set: { payment_id: paymentId },
  });
}

/** pending → released: payment canceled/failed/expired, `expires_at` passed, or manual release. */
export function releaseRedemption(trx: Trx, row: RedemptionRow, reason: ReleaseReason, paymentId?: string): Promise<TransitionResult> {
  return applyTransition(trx, row, {
    from: ["pending"],
    to: "released",
    event: "loyalty.redemption.released",
    credit: { type: "release", reason },
    set: paymentId ? { payment_id: paymentId } : undefined,
  });
}

export interface ShipmentDetails {
  tracking: string | null;
  carrier: string | null;
  shippedAt: Date;
}

/** fulfillment_pending → fulfilled: fulfill API or warehouse `shipment.shipped`. */
export function fulfillRedemption(trx: Trx, row: RedemptionRow, shipment: ShipmentDetails): Promise<TransitionResult> {
  if (!row.fulfillment) return Promise.resolve({ ok: false, row });
  const fulfillment = {
    ...row.fulfillment,
    tracking: shipment.tracking,
    carrier: shipment.carrier,
    shipped_at: Math.floor(shipment.shippedAt.getTime() / 1000),
  };
  return applyTransition(trx, row, {
    from: ["fulfillment_pending"],
    to: "fulfilled",
    event: "loyalty.redemption.fulfilled",
    set: { fulfillment: JSON.stringify(fulfillment) },
  });
}

/**
 * → reversed, with the points and the inventory back. A discount can be reversed only while pending:
 * once its payment completed the discount was consumed (refund the order instead). A store credit is
 * reversible from applied; a free product before or after shipping.
 */
export function reverseRedemption(
  trx: Trx,
  row: RedemptionRow,
  reason: ReversalReason,
  legal: readonly RedemptionStatus[] = reversibleFrom(row),
): Promise<TransitionResult> {
  return applyTransition(trx, row, {
    from: legal,
    to: "reversed",
    event: "loyalty.redemption.reversed",
    credit: { type: "reversal", reason },
  });
}

export function reversibleFrom(row: RedemptionRow): RedemptionStatus[] {
  if (isDiscount(row)) return ["pending"];
  if (row.reward_type === "store_credit") return ["applied"];
  return ["fulfillment_pending", "fulfilled"];
}

/** The 422 for a refused edge (REST). An applied discount has its own code: it needs a refund instead. */
export function refusal(action: "fulfill" | "reverse" | "release", row: RedemptionRow): ApiError {
  if (action === "reverse" && row.status === "applied" && isDiscount(row)) {
    return new ApiError(
      "redemption_already_applied",
      `Redemption '${row.id}' was applied to a completed payment and cannot be reversed; refund the discounted amount instead.`,
    );
  }
  return new ApiError("invalid_state_transition", `Cannot ${action} redemption '${row.id}': its status is '${row.status}'.`);
}
