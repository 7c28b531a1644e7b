import { afterAll, beforeAll, expect, test } from "vitest";
import { createMerchant } from "../../src/domain/merchants/merchants.js";
import { createAccount, createReward } from "../helpers/factories.js";
import { startHarness, type Harness } from "../helpers/harness.js";

let h: Harness;
let ids: { account: string; reward: string; redemption: string; transaction: string };
let otherMerchantKey: string;

beforeAll(async () => {
  h = await startHarness();
  const account = await createAccount(h, 2000);
  const reward = await createReward(h, "discount_amount");
  const redemption = await h.api("POST", "/v1/loyalty/redemptions", { body: { account: account.id, reward: reward.id } });
  const transaction = await h.api("GET", `/v1/loyalty/transactions?account=${account.id}`);
  ids = { account: account.id, reward: reward.id, redemption: redemption.body.id, transaction: transaction.body.data[0].id };
  otherMerchantKey = (await createMerchant(h.deps.db, "Other")).secret_key_test;
});
afterAll(async () => h?.close());

const foreignKeys = () => [
  ["another merchant", otherMerchantKey],
  ["the live mode of the same merchant", h.merchant.secret_key_live],
];

test("another merchant's or mode's ids answer exactly like ids that do not exist", async () => {
  for (const [, key] of foreignKeys()) {
    const calls: [string, string, unknown?][] = [
      ["GET", `/v1/loyalty/accounts/${ids.account}`],
      ["POST", `/v1/loyalty/accounts/${ids.account}/close`],
      ["GET", `/v1/loyalty/rewards/${ids.reward}`],
      ["PATCH", `/v1/loyalty/rewards/${ids.reward}`, { active: false }],
      ["GET", `/v1/loyalty/redemptions/${ids.redemption}`],
      ["POST", "/v1/loyalty/transactions", { account: ids.account, amount: 5, reason: "x" }],
      ["POST", "/v1/loyalty/redemptions", { account: ids.account, reward: ids.reward }],
    ];
    for (const [method, path, body] of calls) {
      const res = await h.api(method, path, { key: key!, ...(body ? { body } : {}) });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body.error.code).toBe("resource_missing");
      expect(res.body.error.message).not.toMatch(/merchant|mode|live|test/i);
    }
    for (const path of [
      `/v1/loyalty/accounts?starting_after=${ids.account}`,
      `/v1/loyalty/redemptions?starting_after=${ids.redemption}`,
      `/v1/loyalty/transactions?starting_after=${ids.transaction}`,
    ]) {
      expect((await h.api("GET", path, { key: key! })).status).toBe(400);
    }
    for (const path of [`/v1/loyalty/redemptions?account=${ids.account}`, `/v1/loyalty/transactions?account=${ids.account}`, "/v1/loyalty/rewards"]) {
      const res = await h.api("GET", path, { key: key! });
      expect(res.status).toBe(200);
      expect(res.body.data).toEqual([]);
    }
  }
  // Nothing changed for the owner.
  const account = await h.api("GET", `/v1/loyalty/accounts/${ids.account}`);
  expect(account.body).toMatchObject({ status: "active", balance: 1500 });
  expect((await h.api("GET", `/v1/loyalty/rewards/${ids.reward}`)).body.active).toBe(true);
});
