import type { Selectable } from "kysely";
import type { Discount, RedemptionTable } from "../../db/tables/redemption.table.js";
import { unixSeconds } from "../pagination.js";

export type RedemptionRow = Selectable<RedemptionTable>;

export function serializeRedemption(row: RedemptionRow) {
  return {
    id: row.id,
    object: "redemption" as const,
    account: row.account_id,
    reward: row.reward_id,
    quantity: row.quantity,
    points: row.points,
    status: row.status,
    discount: row.discount && orderDiscount(row.discount),
    credit: row.credit,
    fulfillment: row.fulfillment,
    payment: row.payment_id,
    points_transaction: row.points_transaction_id,
    reversal: row.reversal,
    expires_at: row.expires_at ? unixSeconds(row.expires_at) : null,
    version: row.version,
    metadata: row.metadata,
    livemode: row.livemode,
    created: unixSeconds(row.created_at),
    updated: unixSeconds(row.updated_at),
  };
}

/** jsonb stores keys in its own order; present them as the API documents them. */
function orderDiscount(discount: Discount): Discount {
  return "percent" in discount
    ? { percent: discount.percent, code: discount.code }
    : { amount: discount.amount, currency: discount.currency, code: discount.code };
}

export type RedemptionObject = ReturnType<typeof serializeRedemption>;
