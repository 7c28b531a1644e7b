import { afterAll, beforeAll, expect, test } from "vitest";
import { createMerchant } from "../../src/domain/merchants/merchants.js";
import { createAccount, createReward } from "../helpers/factories.js";
import { startHarness, type Harness } from "../helpers/harness.js";
import { expectLedgerInvariants } from "../helpers/invariants.js";

/**
 * The noisy neighbour, functionally: while merchant A floods creates, merchant B is served throughout —
 * every one of B's requests is answered 201 and debited exactly once. How much A slows B down is a
 * figure, measured by `npm run bench` (S7), not asserted here.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ WORKER_CONCURRENCY: "4" });
});
afterAll(async () => h?.close());

test("a quiet merchant is served throughout another merchant's flood", async () => {
  const floodAccount = await createAccount(h, 1_000_000);
  const floodReward = await createReward(h, "discount_amount", { cost: 1 });
  const quiet = await createMerchant(h.deps.db, "quiet neighbour");
  const quietKey = quiet.secret_key_test;
  const quietAccount = await createAccount({ ...h, api: (m, p, o = {}) => h.api(m, p, { key: quietKey, ...o }) }, 1_000);
  const quietReward = (await h.api("POST", "/v1/loyalty/rewards", { key: quietKey, body: { name: "5 off", type: "discount_amount", cost: 10, value: { amount: 500, currency: "EUR" } } })).body;

  let flooding = true;
  const floodStatuses: number[] = [];
  const flood = Promise.all(
    Array.from({ length: 48 }, async () => {
      while (flooding) {
        const res = await h.api("POST", "/v1/loyalty/redemptions", { body: { account: floodAccount.id, reward: floodReward.id } });
        floodStatuses.push(res.status);
      }
    }),
  );
  await new Promise((resolve) => setTimeout(resolve, 300));
  const quietStatuses: number[] = [];
  for (let i = 0; i < 20; i++) {
    const res = await h.api("POST", "/v1/loyalty/redemptions", { key: quietKey, body: { account: quietAccount.id, reward: quietReward.id }, idempotencyKey: `quiet-${i}` });
    quietStatuses.push(res.status);
  }
  flooding = false;
  await flood;

  expect(quietStatuses).toEqual(Array(20).fill(201));
  expect(floodStatuses.length).toBeGreaterThan(20);
  expect(floodStatuses.every((status) => status === 201)).toBe(true);
  const balance = await h.deps.db.selectFrom("loyalty_accounts").select("balance").where("id", "=", quietAccount.id).executeTakeFirstOrThrow();
  expect(balance.balance).toBe(1_000 - 20 * 10);
  await expectLedgerInvariants(h.deps.db);
});
