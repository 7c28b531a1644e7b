import { z } from "@hono/zod-openapi";
import { currency, d, metadataSchema, minorUnits, points } from "./common.js";

const common = {
  name: d(z.string().min(1).max(200), "What the member sees (1–200 characters).", "EUR 5 off"),
  cost: d(points, "Points for one unit: a positive integer, at most 10^12. Fixed once created.", 500),
  active: d(z.boolean().optional(), "Whether it can be redeemed (default `true`); redeeming an inactive reward is `422 reward_inactive`.", true),
  inventory: d(
    z.number().int().min(0).max(1_000_000_000).nullable().optional(),
    "Units left, 0–10^9, lowered by each redemption and restored by a release or reversal; `null` (the default) means unlimited.",
    null,
  ),
  metadata: metadataSchema.optional(),
};

const amountOf = (what: string) => d(minorUnits, `${what} in minor units of \`currency\` (cents), a positive integer, at most 10^12.`, 500);
const currencyCode = d(currency, "Upper-case ISO-4217 currency code.", "EUR");
const moneyValue = (what: string, example: { amount: number; currency: string }) =>
  z.strictObject({ amount: amountOf(what), currency: currencyCode }).openapi({ description: `${what}, per unit redeemed. Fixed once created.`, example });

const variant = <T extends z.ZodRawShape>(shape: T, description: string, example: Record<string, unknown>) => z.strictObject({ ...common, ...shape }).openapi({ description, example });

export const createRewardBody = z
  .discriminatedUnion("type", [
    variant(
      { type: d(z.literal("discount_amount"), "An amount off an order: a redemption issues a discount code worth `value.amount × quantity`.", "discount_amount"), value: moneyValue("The amount off", { amount: 500, currency: "EUR" }) },
      "A `discount_amount` reward.",
      { name: "EUR 5 off", type: "discount_amount", cost: 500, value: { amount: 500, currency: "EUR" } },
    ),
    variant(
      {
        type: d(z.literal("discount_percent"), "A percentage off an order: a redemption (of quantity 1) issues a discount code.", "discount_percent"),
        value: z
          .strictObject({ percent: d(z.number().int().min(1).max(100), "Percent off, 1–100.", 10) })
          .openapi({ description: "The percentage off. Fixed once created.", example: { percent: 10 } }),
      },
      "A `discount_percent` reward.",
      { name: "10 % off", type: "discount_percent", cost: 800, value: { percent: 10 } },
    ),
    variant(
      {
        type: d(z.literal("free_product"), "A product to ship: a redemption records a fulfillment and needs `shipping`.", "free_product"),
        value: z
          .strictObject({
            product: d(z.string().min(1).max(200), "The product, as your warehouse knows it (1–200 characters).", "Tote bag"),
            quantity: d(z.number().int().min(1).max(1000).default(1), "Items shipped per unit redeemed, 1–1000 (default 1).", 1),
          })
          .openapi({ description: "The product shipped. Fixed once created.", example: { product: "Tote bag", quantity: 1 } }),
      },
      "A `free_product` reward.",
      { name: "Free tote bag", type: "free_product", cost: 2000, value: { product: "Tote bag", quantity: 1 }, inventory: 100 },
    ),
    variant(
      { type: d(z.literal("store_credit"), "Store credit: a redemption issues a credit of `value.amount × quantity` and is applied at once.", "store_credit"), value: moneyValue("The credit", { amount: 1000, currency: "EUR" }) },
      "A `store_credit` reward.",
      { name: "EUR 10 credit", type: "store_credit", cost: 1000, value: { amount: 1000, currency: "EUR" } },
    ),
  ])
  .openapi("CreateReward", {
    description: "Add a reward to the catalog. `type`, `cost` and `value` are fixed once created (create a new reward to change them).",
    example: { name: "EUR 5 off", type: "discount_amount", cost: 500, value: { amount: 500, currency: "EUR" }, inventory: null },
  });

export const updateRewardBody = z
  .strictObject({
    name: common.name.optional(),
    active: d(z.boolean().optional(), "`false` takes it out of the catalog (redeeming it is `422 reward_inactive`); `true` puts it back.", false),
    inventory: d(common.inventory, "Sets the units left (a restock sets the number, it does not add to it), 0–10^9; `null` makes it unlimited.", 250),
    metadata: metadataSchema.optional(),
  })
  .openapi("UpdateReward", { description: "Change a reward's name, availability, inventory or metadata; only the fields sent change.", example: { active: true, inventory: 250 } });

export const REWARD_EXAMPLE = {
  id: "rwd_8sd2k1",
  object: "reward",
  name: "EUR 5 off",
  type: "discount_amount",
  cost: 500,
  value: { amount: 500, currency: "EUR" },
  active: true,
  inventory: null,
  metadata: {},
  livemode: false,
  created: 1767225600,
} as const;

export const rewardSchema = z
  .object({
    id: d(z.string(), "Unique id, `rwd_` and 24 base62 characters.", REWARD_EXAMPLE.id),
    object: d(z.literal("reward"), "Always `reward`.", "reward"),
    name: d(z.string(), "What the member sees.", REWARD_EXAMPLE.name),
    type: d(
      z.enum(["discount_amount", "discount_percent", "free_product", "store_credit"]),
      "What a redemption issues: `discount_amount` or `discount_percent` (a discount code), `free_product` (a fulfillment to ship) or `store_credit` (a credit).",
      "discount_amount",
    ),
    cost: d(z.number().int(), "Points for one unit.", REWARD_EXAMPLE.cost),
    value: d(
      z.record(z.string(), z.unknown()),
      "What one unit is worth, by `type`: `{amount, currency}` (minor units) for `discount_amount` and `store_credit`, `{percent}` (1–100) for `discount_percent`, `{product, quantity}` for `free_product`.",
      REWARD_EXAMPLE.value,
    ),
    active: d(z.boolean(), "Whether it can be redeemed.", true),
    inventory: d(z.number().int().nullable(), "Units left (never below 0); `null` means unlimited.", null),
    metadata: metadataSchema,
    livemode: d(z.boolean(), "`true` in live mode, `false` in test mode.", false),
    created: d(z.number().int(), "Unix seconds when it was created.", REWARD_EXAMPLE.created),
  })
  .openapi("Reward", { description: "Something a member can spend points on, at a cost in points, with optional inventory.", example: REWARD_EXAMPLE });
