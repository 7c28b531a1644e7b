import { z } from "@hono/zod-openapi";
import { currency, minorUnits, objectId } from "./common.js";

export const createTestPaymentBody = z
  .strictObject({
    amount: minorUnits.openapi({ example: 2999 }),
    currency: currency.openapi({ example: "EUR" }),
    card: z.strictObject({
      number: z.string().min(1).max(32).openapi({
        example: "4242 4242 4242 4242",
        description: "A sandbox card: 4242 4242 4242 4242 completes; 4000 0000 0000 0002 fails (card_declined); 4000 0000 0000 9995 fails (insufficient_funds); 4000 0000 0000 3220 requires authentication until expired. Spaces are optional.",
      }),
    }),
    discounts: z
      .array(z.strictObject({ redemption: objectId("rdm") }))
      .max(20)
      .optional()
      .openapi({ description: "Pending discount redemptions to apply, in order." }),
    customer: z.string().min(1).max(255).optional(),
  })
  .openapi("CreateTestPayment");

export const testPaymentSchema = z
  .object({
    id: z.string().openapi({ example: "pay_8sd2k1" }),
    object: z.literal("payment"),
    amount: z.number().int(),
    amount_discount: z.number().int(),
    amount_charged: z.number().int().openapi({ description: "amount − amount_discount, never below 0" }),
    currency: z.string(),
    status: z.enum(["completed", "failed", "requires_authentication", "expired"]),
    discounts: z.array(z.object({ redemption: z.string(), amount: z.number().int().openapi({ description: "What this discount took off" }) })),
    failure_code: z.enum(["card_declined", "insufficient_funds"]).nullable(),
    customer: z.string().nullable(),
    card: z.object({ last4: z.string() }),
    livemode: z.literal(false),
    created: z.number().int(),
  })
  .openapi("TestPayment");
