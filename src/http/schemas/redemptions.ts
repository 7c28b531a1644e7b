import { z } from "@hono/zod-openapi";
import { metadataSchema, objectId } from "./common.js";

export const redemptionStatuses = ["pending", "fulfillment_pending", "applied", "fulfilled", "released", "reversed"] as const;

const shippingSchema = z
  .strictObject({
    name: z.string().min(1).max(200),
    line1: z.string().min(1).max(200),
    line2: z.string().max(200).optional(),
    city: z.string().min(1).max(100),
    postal_code: z.string().min(1).max(20),
    country: z.string().regex(/^[A-Z]{2}$/, "an upper-case ISO-3166 alpha-2 code"),
    state: z.string().max(100).optional(),
  })
  .openapi("Shipping");

export const createRedemptionBody = z
  .strictObject({
    account: objectId("loy"),
    reward: objectId("rwd"),
    quantity: z.number().int().min(1).max(1000).default(1),
    shipping: shippingSchema.optional(),
    metadata: metadataSchema.optional(),
  })
  .openapi("CreateRedemption");

export const redemptionSchema = z
  .object({
    id: z.string(),
    object: z.literal("redemption"),
    account: z.string(),
    reward: z.string(),
    quantity: z.number().int(),
    points: z.number().int(),
    status: z.enum(redemptionStatuses),
    discount: z
      .union([
        z.object({ amount: z.number().int(), currency: z.string(), code: z.string() }),
        z.object({ percent: z.number().int(), code: z.string() }),
      ])
      .nullable(),
    credit: z.object({ amount: z.number().int(), currency: z.string() }).nullable(),
    fulfillment: z
      .object({
        product: z.string(),
        quantity: z.number().int(),
        shipping: shippingSchema,
        carrier: z.string().nullable(),
        tracking: z.string().nullable(),
        shipped_at: z.number().int().nullable(),
      })
      .nullable(),
    payment: z.string().nullable(),
    points_transaction: z.string(),
    reversal: z.object({ reason: z.string(), points_transaction: z.string() }).nullable(),
    expires_at: z.number().int().nullable(),
    version: z.number().int(),
    metadata: metadataSchema,
    livemode: z.boolean(),
    created: z.number().int(),
    updated: z.number().int(),
  })
  .openapi("Redemption");

export const fulfillRedemptionBody = z
  .strictObject({
    tracking: z.string().min(1).max(200),
    carrier: z.string().min(1).max(100).optional(),
  })
  .openapi("FulfillRedemption");

export const reverseRedemptionBody = z
  .strictObject({
    reason: z.enum(["item_returned", "applied_in_error", "requested_by_customer", "fraudulent", "other"]),
  })
  .openapi("ReverseRedemption");
