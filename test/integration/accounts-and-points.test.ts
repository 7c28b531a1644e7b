import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { createAccount } from "../helpers/factories.js";
import { startHarness, type Harness } from "../helpers/harness.js";
import { expectLedgerInvariants } from "../helpers/invariants.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness({}, { workers: false });
});
afterEach(async () => expectLedgerInvariants(h.deps.db));
afterAll(async () => h?.close());

const accountRow = (id: string) => h.deps.db.selectFrom("loyalty_accounts").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
const ledger = (account: string) =>
  h.deps.db.selectFrom("points_transactions").selectAll().where("account_id", "=", account).orderBy("seq").execute();

describe("loyalty accounts", () => {
  test("create → 201 with the documented shape, stored", async () => {
    const res = await h.api("POST", "/v1/loyalty/accounts", { body: { customer: "cus_1", metadata: { tier: "gold" } } });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^loy_/),
      object: "loyalty_account",
      customer: "cus_1",
      status: "active",
      balance: 0,
      lifetime_points: 0,
      metadata: { tier: "gold" },
      livemode: false,
      created: expect.any(Number),
    });
    expect(await accountRow(res.body.id)).toMatchObject({ merchant_id: h.merchant.merchant, livemode: false, customer: "cus_1" });
  });

  test("retrieve, and 404 for an unknown id", async () => {
    const account = await createAccount(h, 10);
    const res = await h.api("GET", `/v1/loyalty/accounts/${account.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: account.id, balance: 10, lifetime_points: 10 });
    const missing = await h.api("GET", "/v1/loyalty/accounts/loy_nope");
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe("resource_missing");
  });

  test("list by customer, newest first, with cursors both ways", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await h.api("POST", "/v1/loyalty/accounts", { body: { customer: "cus_paged" } });
      ids.push(res.body.id);
    }
    const newestFirst = [...ids].reverse();
    const first = await h.api("GET", "/v1/loyalty/accounts?customer=cus_paged&limit=2");
    expect(first.body).toMatchObject({ object: "list", has_more: true, next_cursor: newestFirst[1] });
    expect(first.body.data.map((a: { id: string }) => a.id)).toEqual(newestFirst.slice(0, 2));
    const second = await h.api("GET", `/v1/loyalty/accounts?customer=cus_paged&limit=2&starting_after=${first.body.next_cursor}`);
    expect(second.body.data.map((a: { id: string }) => a.id)).toEqual(newestFirst.slice(2, 4));
    const last = await h.api("GET", `/v1/loyalty/accounts?customer=cus_paged&limit=2&starting_after=${second.body.next_cursor}`);
    expect(last.body).toMatchObject({ has_more: false, next_cursor: null });
    expect(last.body.data.map((a: { id: string }) => a.id)).toEqual(newestFirst.slice(4));
    const back = await h.api("GET", `/v1/loyalty/accounts?customer=cus_paged&limit=2&ending_before=${newestFirst[4]}`);
    expect(back.body.data.map((a: { id: string }) => a.id)).toEqual(newestFirst.slice(2, 4));
    expect(back.body).toMatchObject({ has_more: true, next_cursor: newestFirst[2] });
    const unknownCursor = await h.api("GET", "/v1/loyalty/accounts?starting_after=loy_nope");
    expect(unknownCursor.status).toBe(400);
  });

  test("close → closed; closed accounts can neither earn nor be debited (422 account_closed)", async () => {
    const account = await createAccount(h, 100);
    const closed = await h.api("POST", `/v1/loyalty/accounts/${account.id}/close`);
    expect(closed.status).toBe(200);
    expect(closed.body).toMatchObject({ status: "closed", balance: 100 });
    expect((await accountRow(account.id)).closed_at).toBeInstanceOf(Date);
    for (const amount of [50, -50]) {
      const res = await h.api("POST", "/v1/loyalty/transactions", { body: { account: account.id, amount, reason: "x" } });
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe("account_closed");
    }
    expect(await ledger(account.id)).toHaveLength(1);
    const again = await h.api("POST", `/v1/loyalty/accounts/${account.id}/close`);
    expect(again.status).toBe(200);
    expect((await h.api("POST", "/v1/loyalty/accounts/loy_nope/close")).status).toBe(404);
  });
});

describe("points transactions", () => {
  test("award (earn) and deduct (adjustment) move the balance and write immutable ledger rows", async () => {
    const account = await createAccount(h);
    const earn = await h.api("POST", "/v1/loyalty/transactions", { body: { account: account.id, amount: 700, reason: "order 1", metadata: { order: "o1" } } });
    expect(earn.status).toBe(201);
    expect(earn.body).toEqual({
      id: expect.stringMatching(/^ptx_/),
      object: "points_transaction",
      account: account.id,
      type: "earn",
      amount: 700,
      balance_after: 700,
      reason: "order 1",
      redemption: null,
      metadata: { order: "o1" },
      livemode: false,
      created: expect.any(Number),
    });
    const deduct = await h.api("POST", "/v1/loyalty/transactions", { body: { account: account.id, amount: -200, reason: "correction" } });
    expect(deduct.body).toMatchObject({ type: "adjustment", amount: -200, balance_after: 500 });
    expect(await accountRow(account.id)).toMatchObject({ balance: 500, lifetime_points: 700 });
    const rows = await ledger(account.id);
    expect(rows.map((row) => [row.type, row.amount, row.balance_after])).toEqual([
      ["earn", 700, 700],
      ["adjustment", -200, 500],
    ]);
    await expect(h.deps.db.updateTable("points_transactions").set({ amount: 1 }).where("id", "=", rows[0]!.id).execute()).rejects.toThrow(/append-only/);
    await expect(h.deps.db.deleteFrom("points_transactions").where("id", "=", rows[0]!.id).execute()).rejects.toThrow(/append-only/);
  });

  test("a deduction that would overdraw → 422 insufficient_points and nothing written", async () => {
    const account = await createAccount(h, 100);
    const res = await h.api("POST", "/v1/loyalty/transactions", { body: { account: account.id, amount: -101, reason: "x" } });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe("insufficient_points");
    expect((await accountRow(account.id)).balance).toBe(100);
    expect(await ledger(account.id)).toHaveLength(1);
  });

  test("unknown account → 404 naming the param", async () => {
    const res = await h.api("POST", "/v1/loyalty/transactions", { body: { account: "loy_nope", amount: 5, reason: "x" } });
    expect(res.status).toBe(404);
    expect(res.body.error).toMatchObject({ code: "resource_missing", param: "account" });
  });

  test("the database refuses a negative balance even if code tried", async () => {
    const account = await createAccount(h, 5);
    await expect(h.deps.db.updateTable("loyalty_accounts").set({ balance: -1 }).where("id", "=", account.id).execute()).rejects.toThrow(/check/i);
  });

  test("list the ledger by account and type", async () => {
    const account = await createAccount(h, 300);
    await h.api("POST", "/v1/loyalty/transactions", { body: { account: account.id, amount: -100, reason: "x" } });
    const all = await h.api("GET", `/v1/loyalty/transactions?account=${account.id}`);
    expect(all.body.data.map((t: { type: string }) => t.type)).toEqual(["adjustment", "earn"]);
    const earns = await h.api("GET", `/v1/loyalty/transactions?account=${account.id}&type=earn`);
    expect(earns.body.data).toHaveLength(1);
    expect(earns.body.data[0]).toMatchObject({ type: "earn", amount: 300 });
  });
});
