import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { createAccount, createReward } from "../helpers/factories.js";
import { startHarness, type Harness } from "../helpers/harness.js";
import { expectLedgerInvariants } from "../helpers/invariants.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterEach(async () => expectLedgerInvariants(h.deps.db));
afterAll(async () => h?.close());

const count = async (table: "redemptions" | "points_transactions" | "loyalty_accounts", column: "account_id" | "customer", value: string) =>
  Number(
    (
      await h.deps.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<string>().as("n"))
        .where(column as never, "=", value as never)
        .executeTakeFirstOrThrow()
    ).n,
  );

describe("idempotent redemption create", () => {
  test("a replay returns the same bytes with Idempotent-Replayed and debits once", async () => {
    const account = await createAccount(h, 1000);
    const reward = await createReward(h);
    const body = { account: account.id, reward: reward.id };
    const first = await h.api("POST", "/v1/loyalty/redemptions", { body, idempotencyKey: "replay-1" });
    const second = await h.api("POST", "/v1/loyalty/redemptions", { body: { reward: reward.id, account: account.id }, idempotencyKey: "replay-1" });
    expect(first.status).toBe(201);
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    expect(second.status).toBe(201);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(second.text).toBe(first.text);
    expect(second.headers.get("request-id")).not.toBe(first.headers.get("request-id"));
    expect(await count("redemptions", "account_id", account.id)).toBe(1);
    expect(await count("points_transactions", "account_id", account.id)).toBe(2); // award + one debit
  });

  test("a refusal (4xx) is stored and replayed too", async () => {
    const account = await createAccount(h, 100);
    const reward = await createReward(h);
    const body = { account: account.id, reward: reward.id };
    const first = await h.api("POST", "/v1/loyalty/redemptions", { body, idempotencyKey: "poor-1" });
    expect(first.body.error.code).toBe("insufficient_points");
    await h.api("POST", "/v1/loyalty/transactions", { body: { account: account.id, amount: 1000, reason: "top-up" } });
    const again = await h.api("POST", "/v1/loyalty/redemptions", { body, idempotencyKey: "poor-1" });
    expect(again.status).toBe(422);
    expect(again.text).toBe(first.text);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(await count("redemptions", "account_id", account.id)).toBe(0);
  });

  test("same key with another body, path or method → 409 idempotency_conflict", async () => {
    const account = await createAccount(h, 5000);
    const reward = await createReward(h);
    await h.api("POST", "/v1/loyalty/redemptions", { body: { account: account.id, reward: reward.id }, idempotencyKey: "conflict-1" });
    const otherBody = await h.api("POST", "/v1/loyalty/redemptions", { body: { account: account.id, reward: reward.id, quantity: 2 }, idempotencyKey: "conflict-1" });
    expect(otherBody.status).toBe(409);
    expect(otherBody.body.error).toMatchObject({ type: "idempotency_error", code: "idempotency_conflict" });
    const otherPath = await h.api("POST", "/v1/loyalty/accounts", { body: {}, idempotencyKey: "conflict-1" });
    expect(otherPath.status).toBe(409);
    expect(await count("redemptions", "account_id", account.id)).toBe(1);
  });

  test("10 concurrent requests with one key → one redemption, one debit, identical answers", async () => {
    const account = await createAccount(h, 10_000);
    const reward = await createReward(h);
    const body = { account: account.id, reward: reward.id };
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => h.api("POST", "/v1/loyalty/redemptions", { body, idempotencyKey: "burst-1" })),
    );
    for (const res of responses) expect([201, 409]).toContain(res.status);
    const created = responses.filter((res) => res.status === 201);
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(new Set(created.map((res) => res.text)).size).toBe(1);
    for (const res of responses.filter((r) => r.status === 409)) expect(res.body.error.code).toBe("idempotency_in_progress");
    expect(await count("redemptions", "account_id", account.id)).toBe(1);
    expect(await count("points_transactions", "account_id", account.id)).toBe(2);
    const balance = await h.deps.db.selectFrom("loyalty_accounts").select("balance").where("id", "=", account.id).executeTakeFirstOrThrow();
    expect(balance.balance).toBe(9_500);
  });

  test("without a key, every request is a new one", async () => {
    const account = await createAccount(h, 1000);
    const reward = await createReward(h);
    const body = { account: account.id, reward: reward.id };
    await h.api("POST", "/v1/loyalty/redemptions", { body });
    await h.api("POST", "/v1/loyalty/redemptions", { body });
    expect(await count("redemptions", "account_id", account.id)).toBe(2);
  });
});

describe("idempotent writes run by the web process", () => {
  test("10 concurrent account creations with one key → one account, same answer", async () => {
    const body = { customer: "cus_idem_burst" };
    const responses = await Promise.all(Array.from({ length: 10 }, () => h.api("POST", "/v1/loyalty/accounts", { body, idempotencyKey: "acct-burst" })));
    expect(responses.every((res) => res.status === 201)).toBe(true);
    expect(new Set(responses.map((res) => res.text)).size).toBe(1);
    expect(responses.filter((res) => res.headers.get("idempotent-replayed") === "true")).toHaveLength(9);
    expect(await count("loyalty_accounts", "customer", "cus_idem_burst")).toBe(1);
  });

  test("a points award replayed is booked once", async () => {
    const account = await createAccount(h);
    const body = { account: account.id, amount: 250, reason: "order 9" };
    const first = await h.api("POST", "/v1/loyalty/transactions", { body, idempotencyKey: "award-9" });
    const second = await h.api("POST", "/v1/loyalty/transactions", { body, idempotencyKey: "award-9" });
    expect(second.text).toBe(first.text);
    expect(await count("points_transactions", "account_id", account.id)).toBe(1);
  });

  test("keys are scoped per mode: the live key may reuse a test key's Idempotency-Key", async () => {
    const test1 = await h.api("POST", "/v1/loyalty/accounts", { body: {}, idempotencyKey: "scoped" });
    const live1 = await h.api("POST", "/v1/loyalty/accounts", { body: {}, idempotencyKey: "scoped", key: h.merchant.secret_key_live });
    expect(test1.status).toBe(201);
    expect(live1.status).toBe(201);
    expect(live1.body.id).not.toBe(test1.body.id);
    expect(live1.body.livemode).toBe(true);
    expect(await h.deps.db.selectFrom("loyalty_accounts").select("id").where("id", "in", [test1.body.id, live1.body.id]).execute()).toHaveLength(2);
    const keys = await h.deps.db.selectFrom("idempotency_keys").select("livemode").where("key", "=", "scoped").orderBy("livemode").execute();
    expect(keys).toEqual([{ livemode: false }, { livemode: true }]);
  });
});
