import { z } from "@hono/zod-openapi";
import { currency, d, minorUnits, objectId } from "./common.js";

export const createTestPaymentBody = z
  .strictObject({
    amount: d(minorUnits, "The order total before discounts, in minor units of `currency` (cents): a positive integer, at most 10^12.", 2999),
    currency: d(currency, "Upper-case ISO-4217 currency code; an amount discount applied must be in the same currency (else `422 currency_mismatch`).", "EUR"),
    card: z
      .strictObject({
        number: z.string().min(1).max(32).openapi({
          example: "4242 4242 4242 4242",
          description:
            "A sandbox card: 4242 4242 4242 4242 completes; 4000 0000 0000 0002 fails (card_declined); 4000 0000 0000 9995 fails (insufficient_funds); 4000 0000 0000 3220 requires authentication until expired. Spaces are optional; any other number is `400 parameter_invalid`.",
        }),
      })
      .openapi({ description: "The card to charge; its number decides the outcome, and is never stored.", example: { number: "4242 4242 4242 4242" } }),
    discounts: z
      .array(
        z
          .strictObject({ redemption: d(objectId("rdm"), "A `pending` discount redemption (`rdm_…`) of this merchant in test mode, not attached to another payment.", "rdm_7Hq2LmX0aZ9cT1rVbN4eKd8s") })
          .openapi({ description: "A discount to apply.", example: { redemption: "rdm_7Hq2LmX0aZ9cT1rVbN4eKd8s" } }),
      )
      .max(20)
      .optional()
      .openapi({ description: "Pending discount redemptions to apply, in order (at most 20, each listed once).", example: [{ redemption: "rdm_7Hq2LmX0aZ9cT1rVbN4eKd8s" }] }),
    customer: d(z.string().min(1).max(255).optional(), "Your own identifier for the paying customer (1–255 characters), returned as given.", "cus_1"),
  })
  .openapi("CreateTestPayment", {
    description: "Play the payment provider (test mode only): the payment is decided by the card, and its signed `payment.*` events go through the real inbound pipeline.",
    example: { amount: 2999, currency: "EUR", card: { number: "4242 4242 4242 4242" }, discounts: [{ redemption: "rdm_7Hq2LmX0aZ9cT1rVbN4eKd8s" }], customer: "cus_1" },
  });

const TEST_PAYMENT_EXAMPLE = {
  id: "pay_4Fa1Lp2kT9wQ1mZx2bN9cV5r",
  object: "payment",
  amount: 2999,
  amount_discount: 500,
  amount_charged: 2499,
  currency: "EUR",
  status: "completed",
  discounts: [{ redemption: "rdm_7Hq2LmX0aZ9cT1rVbN4eKd8s", amount: 500 }],
  failure_code: null,
  customer: "cus_1",
  card: { last4: "4242" },
  livemode: false,
  created: 1767225700,
} as const;

export const testPaymentSchema = z
  .object({
    id: d(z.string(), "Unique id, `pay_` and 24 base62 characters; the `data.object.id` of the `payment.*` events the sandbox sends for it.", TEST_PAYMENT_EXAMPLE.id),
    object: d(z.literal("payment"), "Always `payment`.", "payment"),
    amount: d(z.number().int(), "The order total before discounts, in minor units.", 2999),
    amount_discount: d(z.number().int(), "What the discounts took off in total, in minor units; never more than `amount`.", 500),
    amount_charged: d(z.number().int(), "`amount − amount_discount` in minor units, never below 0; what would have been charged, also for a failed payment.", 2499),
    currency: d(z.string(), "Upper-case ISO-4217 currency code.", "EUR"),
    status: d(
      z.enum(["completed", "failed", "requires_authentication", "expired"]),
      "Decided by the card: `completed`, `failed` (see `failure_code`), `requires_authentication` (until `expire`), or `expired`.",
      "completed",
    ),
    discounts: z
      .array(
        z
          .object({
            redemption: d(z.string(), "The discount redemption (`rdm_…`) applied.", "rdm_7Hq2LmX0aZ9cT1rVbN4eKd8s"),
            amount: d(z.number().int(), "What this discount took off, in minor units (possibly 0 once the amount is used up).", 500),
          })
          .openapi({ description: "One discount applied, and what it took off.", example: { redemption: "rdm_7Hq2LmX0aZ9cT1rVbN4eKd8s", amount: 500 } }),
      )
      .openapi({ description: "The discounts applied, in the order given; empty when none.", example: TEST_PAYMENT_EXAMPLE.discounts }),
    failure_code: d(z.enum(["card_declined", "insufficient_funds"]).nullable(), "Why a `failed` payment failed; `null` otherwise.", null),
    customer: d(z.string().nullable(), "The `customer` given; `null` if none.", "cus_1"),
    card: z
      .object({ last4: d(z.string(), "The card number's last four digits.", "4242") })
      .openapi({ description: "The card charged (only its last four digits are kept).", example: { last4: "4242" } }),
    livemode: d(z.literal(false), "Always `false`: the sandbox is test mode only.", false),
    created: d(z.number().int(), "Unix seconds when it was created.", TEST_PAYMENT_EXAMPLE.created),
  })
  .openapi("TestPayment", { description: "A sandbox payment (docs/api.md §7); the redemptions it names move shortly after the answer.", example: TEST_PAYMENT_EXAMPLE });
