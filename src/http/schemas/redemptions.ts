import { z } from "@hono/zod-openapi";
import { d, metadataSchema, objectId } from "./common.js";

export const redemptionStatuses = ["pending", "fulfillment_pending", "applied", "fulfilled", "released", "reversed"] as const;

const SHIPPING_EXAMPLE = { name: "Ada Lovelace", line1: "12 Analytical Row", city: "London", postal_code: "N1 9GU", country: "GB" };

const shippingSchema = z
  .strictObject({
    name: d(z.string().min(1).max(200), "The recipient's name.", "Ada Lovelace"),
    line1: d(z.string().min(1).max(200), "First address line.", "12 Analytical Row"),
    line2: d(z.string().max(200).optional(), "Second address line.", "Flat 3"),
    city: d(z.string().min(1).max(100), "City or town.", "London"),
    postal_code: d(z.string().min(1).max(20), "Postal code.", "N1 9GU"),
    country: d(z.string().regex(/^[A-Z]{2}$/, "an upper-case ISO-3166 alpha-2 code"), "Upper-case ISO-3166 alpha-2 country code.", "GB"),
    state: d(z.string().max(100).optional(), "State, county or region.", "Greater London"),
  })
  .openapi("Shipping", { description: "Where a free product is shipped; required when redeeming a `free_product` reward.", example: SHIPPING_EXAMPLE });

export const createRedemptionBody = z
  .strictObject({
    account: d(objectId("loy"), "The loyalty account (`loy_…`) whose points are spent.", "loy_8sd2k1"),
    reward: d(objectId("rwd"), "The reward (`rwd_…`) to redeem.", "rwd_8sd2k1"),
    // Optional in the document (zod-openapi documents request bodies as input): the default applies when absent.
    quantity: d(z.number().int().min(1).max(1000).default(1), "Units of the reward, 1–1000 (a `discount_percent` reward: 1 only). Costs `cost × quantity` points.", 1),
    shipping: shippingSchema.optional(),
    metadata: metadataSchema.optional(),
  })
  .openapi("CreateRedemption", {
    description: "Spend an account's points on a reward. Send an `Idempotency-Key`.",
    example: { account: "loy_8sd2k1", reward: "rwd_8sd2k1", quantity: 1 },
  });

export const REDEMPTION_EXAMPLE = {
  id: "rdm_7Hq2LmX0aZ9cT1rVbN4eKd8s",
  object: "redemption",
  account: "loy_8sd2k1",
  reward: "rwd_8sd2k1",
  quantity: 1,
  points: 500,
  status: "pending",
  discount: { amount: 500, currency: "EUR", code: "VINR-6T6DJ4BK" },
  credit: null,
  fulfillment: null,
  payment: null,
  points_transaction: "ptx_2bN9cV5rY7pL0d3kT9wQ1mZx",
  reversal: null,
  expires_at: 1767227400,
  version: 1,
  metadata: { cart: "9f31" },
  livemode: false,
  created: 1767225600,
  updated: 1767225600,
} as const;

export const redemptionSchema = z
  .object({
    id: d(z.string(), "Unique id, `rdm_` and 24 base62 characters.", REDEMPTION_EXAMPLE.id),
    object: d(z.literal("redemption"), "Always `redemption`.", "redemption"),
    account: d(z.string(), "The loyalty account (`loy_…`) the points came from.", "loy_8sd2k1"),
    reward: d(z.string(), "The reward (`rwd_…`) redeemed.", "rwd_8sd2k1"),
    quantity: d(z.number().int(), "Units redeemed (1–1000).", 1),
    points: d(z.number().int(), "Points debited at creation: the reward's `cost × quantity`.", 500),
    status: d(
      z.enum(redemptionStatuses),
      "`pending` (a discount waiting for its payment), `fulfillment_pending` (a free product to ship), `applied`, `fulfilled`, `released` or `reversed` (both final). See the state machine in the guide.",
      "pending",
    ),
    discount: z
      .union([
        z
          .object({
            amount: d(z.number().int(), "Discount in minor units: the reward's amount × quantity.", 500),
            currency: d(z.string(), "Upper-case ISO-4217 currency code.", "EUR"),
            code: d(z.string(), "The discount code: `VINR-` and 8 characters from 23456789ABCDEFGHJKLMNPQRSTUVWXYZ, unique per merchant.", "VINR-6T6DJ4BK"),
          })
          .openapi({ description: "An amount off (a `discount_amount` reward).", example: { amount: 500, currency: "EUR", code: "VINR-6T6DJ4BK" } }),
        z
          .object({
            percent: d(z.number().int(), "Percent off, 1–100.", 10),
            code: d(z.string(), "The discount code (`VINR-…`).", "VINR-6T6DJ4BK"),
          })
          .openapi({ description: "A percentage off (a `discount_percent` reward).", example: { percent: 10, code: "VINR-6T6DJ4BK" } }),
      ])
      .nullable()
      .openapi({ description: "The discount issued, for discount rewards; `null` otherwise. A released or reversed code stops matching.", example: REDEMPTION_EXAMPLE.discount }),
    credit: z
      .object({
        amount: d(z.number().int(), "Credit in minor units: the reward's amount × quantity.", 1000),
        currency: d(z.string(), "Upper-case ISO-4217 currency code.", "EUR"),
      })
      .nullable()
      .openapi({ description: "The store credit issued, for `store_credit` rewards; `null` otherwise.", example: null }),
    fulfillment: z
      .object({
        product: d(z.string(), "The product shipped, as named by the reward.", "Tote bag"),
        quantity: d(z.number().int(), "Items to ship: the reward's quantity × the redemption's quantity.", 1),
        shipping: shippingSchema,
        carrier: d(z.string().nullable(), "The carrier, once shipped (if given).", "DHL"),
        tracking: d(z.string().nullable(), "The tracking number, once shipped.", "JD014600003828"),
        shipped_at: d(z.number().int().nullable(), "Unix seconds when it was marked shipped; `null` until then.", 1767312000),
      })
      .nullable()
      .openapi({ description: "What to ship, for `free_product` rewards; `null` otherwise.", example: null }),
    payment: d(z.string().nullable(), "The payment (`pay_…`) the discount is linked to: the first payment that named it. `null` until then.", null),
    points_transaction: d(z.string(), "The ledger row (`ptx_…`) of the debit.", REDEMPTION_EXAMPLE.points_transaction),
    reversal: z
      .object({
        reason: d(z.string(), "Why: `item_returned`, `applied_in_error`, `requested_by_customer`, `fraudulent` or `other`.", "requested_by_customer"),
        points_transaction: d(z.string(), "The ledger row (`ptx_…`) that credited the points back.", "ptx_5rY7pL0d3kT9wQ1mZx2bN9cV"),
      })
      .nullable()
      .openapi({ description: "Set when the redemption was reversed; stays `null` on a release (the release's ledger row says why).", example: null }),
    expires_at: d(z.number().int().nullable(), "Unix seconds when a pending discount is released automatically if no payment completed it; `null` otherwise.", REDEMPTION_EXAMPLE.expires_at),
    version: d(z.number().int(), "1 at creation, +1 on every status change; carried by every event, so events can be ordered by it.", 1),
    metadata: metadataSchema,
    livemode: d(z.boolean(), "`true` in live mode, `false` in test mode.", false),
    created: d(z.number().int(), "Unix seconds when it was created.", REDEMPTION_EXAMPLE.created),
    updated: d(z.number().int(), "Unix seconds of the last change.", REDEMPTION_EXAMPLE.updated),
  })
  .openapi("Redemption", {
    description: "Points spent on a reward, with what the reward issued (a discount code, a store credit or a fulfillment) and where it stands.",
    example: REDEMPTION_EXAMPLE,
  });

export const fulfillRedemptionBody = z
  .strictObject({
    tracking: d(z.string().min(1).max(200), "The shipment's tracking number.", "JD014600003828"),
    carrier: d(z.string().min(1).max(100).optional(), "The carrier.", "DHL"),
  })
  .openapi("FulfillRedemption", { description: "Mark a `fulfillment_pending` redemption as shipped.", example: { tracking: "JD014600003828", carrier: "DHL" } });

export const reverseRedemptionBody = z
  .strictObject({
    reason: d(z.enum(["item_returned", "applied_in_error", "requested_by_customer", "fraudulent", "other"]), "Why the redemption is reversed; recorded in `reversal.reason`.", "requested_by_customer"),
  })
  .openapi("ReverseRedemption", { description: "Reverse a redemption: points back, the artifact voided, inventory restored.", example: { reason: "requested_by_customer" } });
