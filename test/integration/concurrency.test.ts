import { afterAll, afterEach, beforeAll, expect, test } from "vitest";
import { createAccount, createReward } from "../helpers/factories.js";
import { startHarness, type Harness } from "../helpers/harness.js";
import { expectLedgerInvariants } from "../helpers/invariants.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ WORKER_CONCURRENCY: "16" });
});
afterEach(async () => expectLedgerInvariants(h.deps.db));
afterAll(async () => h?.close());

test("50 concurrent redemptions against a balance that affords 7 → exactly 7, balance 0", async () => {
  const reward = await createReward(h, "discount_amount"); // 500 points
  const account = await createAccount(h, 7 * 500);
  const responses = await Promise.all(
    Array.from({ length: 50 }, (_, i) =>
      h.api("POST", "/v1/loyalty/redemptions", { body: { account: account.id, reward: reward.id }, idempotencyKey: `race-${i}` }),
    ),
  );
  const statuses = responses.map((res) => res.status);
  expect(statuses.filter((status) => status === 201)).toHaveLength(7);
  expect(statuses.filter((status) => status === 422)).toHaveLength(43);
  for (const res of responses.filter((r) => r.status === 422)) expect(res.body.error.code).toBe("insufficient_points");

  const row = await h.deps.db.selectFrom("loyalty_accounts").select("balance").where("id", "=", account.id).executeTakeFirstOrThrow();
  expect(row.balance).toBe(0);
  const debits = await h.deps.db.selectFrom("points_transactions").selectAll().where("account_id", "=", account.id).where("type", "=", "redemption").execute();
  expect(debits).toHaveLength(7);
  // balance_after values are a strict staircase: the debits serialised on the account row.
  expect(debits.map((d) => d.balance_after).sort((a, b) => b - a)).toEqual([3000, 2500, 2000, 1500, 1000, 500, 0]);
  const codes = responses.filter((r) => r.status === 201).map((r) => r.body.discount.code);
  expect(new Set(codes).size).toBe(7);
});

test("inventory 3 under 20 concurrent redemptions from different accounts → exactly 3", async () => {
  const reward = await createReward(h, "store_credit", { inventory: 3 });
  const accounts = await Promise.all(Array.from({ length: 20 }, () => createAccount(h, 5_000)));
  const responses = await Promise.all(
    accounts.map((account, i) =>
      h.api("POST", "/v1/loyalty/redemptions", { body: { account: account.id, reward: reward.id }, idempotencyKey: `stock-${i}` }),
    ),
  );
  expect(responses.filter((res) => res.status === 201)).toHaveLength(3);
  const refused = responses.filter((res) => res.status === 422);
  expect(refused).toHaveLength(17);
  for (const res of refused) expect(res.body.error.code).toBe("reward_out_of_stock");
  const row = await h.deps.db.selectFrom("rewards").select("inventory").where("id", "=", reward.id).executeTakeFirstOrThrow();
  expect(row.inventory).toBe(0);
  const redeemed = await h.deps.db.selectFrom("redemptions").select("id").where("reward_id", "=", reward.id).execute();
  expect(redeemed).toHaveLength(3);
});
