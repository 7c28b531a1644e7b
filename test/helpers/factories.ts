import { randomUUID } from "node:crypto";
import { expect } from "vitest";
import type { Harness } from "./harness.js";

/** Test data made through the public API, as a merchant would make it. */
export async function createAccount(h: Harness, points = 0, key?: string) {
  const account = await h.api("POST", "/v1/loyalty/accounts", { body: { customer: `cus_${randomUUID().slice(0, 8)}` }, ...(key ? { key } : {}) });
  expect(account.status).toBe(201);
  if (points > 0) {
    const award = await h.api("POST", "/v1/loyalty/transactions", {
      body: { account: account.body.id, amount: points, reason: "welcome bonus" },
      ...(key ? { key } : {}),
    });
    expect(award.status).toBe(201);
  }
  return account.body as { id: string };
}

export const REWARD_BODIES = {
  discount_amount: { name: "EUR 5 off", type: "discount_amount", cost: 500, value: { amount: 500, currency: "EUR" } },
  discount_percent: { name: "10% off", type: "discount_percent", cost: 800, value: { percent: 10 } },
  free_product: { name: "Tote bag", type: "free_product", cost: 1200, value: { product: "tote-bag" } },
  store_credit: { name: "EUR 10 credit", type: "store_credit", cost: 1000, value: { amount: 1000, currency: "EUR" } },
} as const;

export async function createReward(h: Harness, type: keyof typeof REWARD_BODIES = "discount_amount", extra: Record<string, unknown> = {}, key?: string) {
  const reward = await h.api("POST", "/v1/loyalty/rewards", { body: { ...REWARD_BODIES[type], ...extra }, ...(key ? { key } : {}) });
  expect(reward.status).toBe(201);
  return reward.body as { id: string; cost: number };
}

export const SHIPPING = { name: "Mira Olsen", line1: "Storgata 12", city: "Oslo", postal_code: "0155", country: "NO" };
