import { z } from "@hono/zod-openapi";
import { d, metadataSchema, objectId, points } from "./common.js";

export const ACCOUNT_EXAMPLE = {
  id: "loy_8sd2k1",
  object: "loyalty_account",
  customer: "cus_1",
  status: "active",
  balance: 1500,
  lifetime_points: 2000,
  metadata: {},
  livemode: false,
  created: 1767225600,
} as const;

export const accountSchema = z
  .object({
    id: d(z.string(), "Unique id, `loy_` and 24 base62 characters.", ACCOUNT_EXAMPLE.id),
    object: d(z.literal("loyalty_account"), "Always `loyalty_account`.", "loyalty_account"),
    customer: d(z.string().nullable(), "Your own identifier for the member, as given at creation (several accounts may share one); `null` if none was given.", "cus_1"),
    status: d(z.enum(["active", "closed"]), "`active`, or `closed` (final): a closed account can neither earn nor spend, but points owed back by a release or reversal are still credited.", "active"),
    balance: d(z.number().int(), "Points available to spend: always the sum of the account's ledger `amount`s, never below 0, at most 9,007,199,254,740,990.", 1500),
    lifetime_points: d(z.number().int(), "Points ever awarded by `earn` transactions (never lowered by spending or deductions), at most 9,007,199,254,740,990.", 2000),
    metadata: metadataSchema,
    livemode: d(z.boolean(), "`true` in live mode, `false` in test mode.", false),
    created: d(z.number().int(), "Unix seconds when it was created.", ACCOUNT_EXAMPLE.created),
  })
  .openapi("LoyaltyAccount", { description: "One member's points: the balance to spend, lifetime points, and whether the account is still open.", example: ACCOUNT_EXAMPLE });

export const createAccountBody = z
  .strictObject({
    customer: d(z.string().min(1).max(255).optional(), "Your own identifier for the member (1–255 characters); not unique, and matched exactly by the list's `customer` filter.", "cus_1"),
    metadata: metadataSchema.optional(),
  })
  .openapi("CreateLoyaltyAccount", { description: "Open an account: it starts `active` with a balance of 0.", example: { customer: "cus_1", metadata: { tier: "gold" } } });

export const transactionTypes = ["earn", "adjustment", "redemption", "release", "reversal"] as const;

export const TRANSACTION_EXAMPLE = {
  id: "ptx_2bN9cV5rY7pL0d3kT9wQ1mZx",
  object: "points_transaction",
  account: "loy_8sd2k1",
  type: "redemption",
  amount: -500,
  balance_after: 1500,
  reason: "redemption of rwd_8sd2k1",
  redemption: "rdm_7Hq2LmX0aZ9cT1rVbN4eKd8s",
  metadata: {},
  livemode: false,
  created: 1767225600,
} as const;

export const pointsTransactionSchema = z
  .object({
    id: d(z.string(), "Unique id, `ptx_` and 24 base62 characters.", TRANSACTION_EXAMPLE.id),
    object: d(z.literal("points_transaction"), "Always `points_transaction`.", "points_transaction"),
    account: d(z.string(), "The loyalty account (`loy_…`) whose balance this row changed.", "loy_8sd2k1"),
    type: d(
      z.enum(transactionTypes),
      "`earn` (a positive award, also raises `lifetime_points`), `adjustment` (a deduction), `redemption` (the debit of a redemption), `release` or `reversal` (a redemption's points credited back).",
      "redemption",
    ),
    amount: d(z.number().int(), "Points added (positive) or removed (negative); never 0.", -500),
    balance_after: d(z.number().int(), "The account's balance right after this row: the running sum of `amount`.", 1500),
    reason: d(
      z.string().nullable(),
      "Why: the `reason` given for an award or deduction; `redemption of rwd_…` on a redemption's debit; on a `release`, `requested`, `expired`, `payment_canceled`, `payment_failed` or `payment_expired`; on a `reversal`, the reversal's reason (`item_returned`, …). `null` when none was recorded.",
      "redemption of rwd_8sd2k1",
    ),
    redemption: d(z.string().nullable(), "The redemption (`rdm_…`) that wrote this row (`redemption`, `release`, `reversal`); `null` for `earn` and `adjustment`.", TRANSACTION_EXAMPLE.redemption),
    metadata: metadataSchema,
    livemode: d(z.boolean(), "`true` in live mode, `false` in test mode.", false),
    created: d(z.number().int(), "Unix seconds when it was written.", TRANSACTION_EXAMPLE.created),
  })
  .openapi("PointsTransaction", { description: "One immutable row of the points ledger: an award, a deduction, or a redemption's debit or credit back.", example: TRANSACTION_EXAMPLE });

export const createTransactionBody = z
  .strictObject({
    account: d(objectId("loy"), "The loyalty account (`loy_…`) to award points to or deduct them from; an unknown one is `404` with `param: \"account\"`.", "loy_8sd2k1"),
    amount: d(
      z
        .number()
        .int()
        .refine((value) => value !== 0, "must be a non-zero integer")
        .refine((value) => Math.abs(value) <= points.maxValue!, "is too large"),
      "Points, a non-zero integer of at most 10^12 in magnitude: positive awards them (`earn`), negative deducts them (`adjustment`). A deduction larger than the balance is `422 insufficient_points`.",
      250,
    ),
    reason: d(z.string().min(1).max(500), "Why (1–500 characters), recorded on the row.", "order 1042"),
    metadata: metadataSchema.optional(),
  })
  .openapi("CreatePointsTransaction", { description: "Award points (positive `amount`) or deduct them (negative) on an active account.", example: { account: "loy_8sd2k1", amount: 250, reason: "order 1042" } });
