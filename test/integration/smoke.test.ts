import { afterAll, beforeAll, expect, test } from "vitest";
import { createAccount, createReward } from "../helpers/factories.js";
import { startHarness, type Harness } from "../helpers/harness.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.close());

test("smoke: redeem a discount", async () => {
  const account = await createAccount(h, 1000);
  const reward = await createReward(h);
  const res = await h.api("POST", "/v1/loyalty/redemptions", { body: { account: account.id, reward: reward.id }, idempotencyKey: "k1" });
  console.log(res.status, res.text);
  expect(res.status).toBe(201);
});
