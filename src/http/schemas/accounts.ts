import { z } from "@hono/zod-openapi";
import { metadataSchema, objectId, points } from "./common.js";

export const accountSchema = z
  .object({
    id: z.string(),
    object: z.literal("loyalty_account"),
    customer: z.string().nullable(),
    status: z.enum(["active", "closed"]),
    balance: z.number().int(),
    lifetime_points: z.number().int(),
    metadata: metadataSchema,
    livemode: z.boolean(),
    created: z.number().int(),
  })
  .openapi("LoyaltyAccount");

export const createAccountBody = z
  .strictObject({
    customer: z.string().min(1).max(255).optional(),
    metadata: metadataSchema.optional(),
  })
  .openapi("CreateLoyaltyAccount");

export const transactionTypes = ["earn", "adjustment", "redemption", "release", "reversal"] as const;

export const pointsTransactionSchema = z
  .object({
    id: z.string(),
    object: z.literal("points_transaction"),
    account: z.string(),
    type: z.enum(transactionTypes),
    amount: z.number().int(),
    balance_after: z.number().int(),
    reason: z.string().nullable(),
    redemption: z.string().nullable(),
    metadata: metadataSchema,
    livemode: z.boolean(),
    created: z.number().int(),
  })
  .openapi("PointsTransaction");

export const createTransactionBody = z
  .strictObject({
    account: objectId("loy"),
    amount: z
      .number()
      .int()
      .refine((value) => value !== 0, "must be a non-zero integer")
      .refine((value) => Math.abs(value) <= points.maxValue!, "is too large"),
    reason: z.string().min(1).max(500),
    metadata: metadataSchema.optional(),
  })
  .openapi("CreatePointsTransaction");
