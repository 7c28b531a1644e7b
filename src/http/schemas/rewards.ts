import { z } from "@hono/zod-openapi";
import { currency, metadataSchema, minorUnits, points } from "./common.js";

const common = {
  name: z.string().min(1).max(200),
  cost: points.openapi({ description: "Points for one unit." }),
  active: z.boolean().optional(),
  inventory: z.number().int().min(0).max(1_000_000_000).nullable().optional().openapi({ description: "Remaining units; null = unlimited." }),
  metadata: metadataSchema.optional(),
};

const moneyValue = z.strictObject({ amount: minorUnits, currency });

export const createRewardBody = z
  .discriminatedUnion("type", [
    z.strictObject({ ...common, type: z.literal("discount_amount"), value: moneyValue }),
    z.strictObject({ ...common, type: z.literal("discount_percent"), value: z.strictObject({ percent: z.number().int().min(1).max(100) }) }),
    z.strictObject({
      ...common,
      type: z.literal("free_product"),
      value: z.strictObject({ product: z.string().min(1).max(200), quantity: z.number().int().min(1).max(1000).default(1) }),
    }),
    z.strictObject({ ...common, type: z.literal("store_credit"), value: moneyValue }),
  ])
  .openapi("CreateReward");

export const updateRewardBody = z
  .strictObject({
    name: common.name.optional(),
    active: z.boolean().optional(),
    inventory: common.inventory,
    metadata: metadataSchema.optional(),
  })
  .openapi("UpdateReward");

export const rewardSchema = z
  .object({
    id: z.string(),
    object: z.literal("reward"),
    name: z.string(),
    type: z.enum(["discount_amount", "discount_percent", "free_product", "store_credit"]),
    cost: z.number().int(),
    value: z.record(z.string(), z.unknown()),
    active: z.boolean(),
    inventory: z.number().int().nullable(),
    metadata: metadataSchema,
    livemode: z.boolean(),
    created: z.number().int(),
  })
  .openapi("Reward");
