import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { createAccount, createReward, SHIPPING } from "../helpers/factories.js";
import { startHarness, type Harness } from "../helpers/harness.js";
import { expectLedgerInvariants } from "../helpers/invariants.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ REDEMPTION_PENDING_TTL_SECONDS: "900" });
});
afterEach(async () => expectLedgerInvariants(h.deps.db));
afterAll(async () => h?.close());

const redeem = (body: Record<string, unknown>, idempotencyKey?: string) =>
  h.api("POST", "/v1/loyalty/redemptions", { body, ...(idempotencyKey ? { idempotencyKey } : {}) });
const eventsOf = (redemptionId: string) =>
  h.deps.db.selectFrom("events").selectAll().where("redemption_id", "=", redemptionId).orderBy("seq").execute();
const balanceOf = async (id: string) =>
  (await h.deps.db.selectFrom("loyalty_accounts").select("balance").where("id", "=", id).executeTakeFirstOrThrow()).balance;

describe("creating a redemption", () => {
  test("discount_amount → pending with a unique code, debit, event and expiry", async () => {
    const account = await createAccount(h, 1200);
    const reward = await createReward(h, "discount_amount");
    const before = Math.floor(Date.now() / 1000);
    const res = await redeem({ account: account.id, reward: reward.id, metadata: { cart: "c1" } }, "cart-c1");
    expect(res.status).toBe(201);
    const r = res.body;
    expect(r).toEqual({
      id: expect.stringMatching(/^rdm_/),
      object: "redemption",
      account: account.id,
      reward: reward.id,
      quantity: 1,
      points: 500,
      status: "pending",
      discount: { amount: 500, currency: "EUR", code: expect.stringMatching(/^VINR-[A-HJ-NP-Z2-9]{8}$/) },
      credit: null,
      fulfillment: null,
      payment: null,
      points_transaction: expect.stringMatching(/^ptx_/),
      reversal: null,
      expires_at: expect.any(Number),
      version: 1,
      metadata: { cart: "c1" },
      livemode: false,
      created: expect.any(Number),
      updated: expect.any(Number),
    });
    expect(r.expires_at - r.created).toBe(900);
    expect(r.created).toBeGreaterThanOrEqual(before);

    expect(await balanceOf(account.id)).toBe(700);
    const debit = await h.deps.db.selectFrom("points_transactions").selectAll().where("id", "=", r.points_transaction).executeTakeFirstOrThrow();
    expect(debit).toMatchObject({ type: "redemption", amount: -500, balance_after: 700, redemption_id: r.id, account_id: account.id });
    const events = await eventsOf(r.id);
    // The relay loop (every WEBHOOK_RELAY_INTERVAL_MS) may have marked it published already.
    expect(events.map((e) => [e.type, e.version])).toEqual([["loyalty.redemption.created", 1]]);
    expect(JSON.parse(events[0]!.payload)).toEqual({
      id: events[0]!.id,
      object: "event",
      type: "loyalty.redemption.created",
      data: { object: r },
      livemode: false,
      created: r.created,
    });
    const stored = await h.deps.db.selectFrom("redemptions").selectAll().where("id", "=", r.id).executeTakeFirstOrThrow();
    expect(stored).toMatchObject({ status: "pending", discount_code: r.discount.code, version: 1 });
    expect(stored.idempotency_id).toMatch(/^idk_/);

    const byCode = await h.api("GET", `/v1/loyalty/redemptions?code=${r.discount.code.toLowerCase()}`);
    expect(byCode.body.data.map((x: { id: string }) => x.id)).toEqual([r.id]);
    expect((await h.api("GET", `/v1/loyalty/redemptions/${r.id}`)).body).toEqual(r);
  });

  test("discount_percent → pending with {percent, code}; quantity must be 1", async () => {
    const account = await createAccount(h, 2000);
    const reward = await createReward(h, "discount_percent");
    const res = await redeem({ account: account.id, reward: reward.id });
    expect(res.body).toMatchObject({ status: "pending", points: 800, discount: { percent: 10, code: expect.stringMatching(/^VINR-/) } });
    const refused = await redeem({ account: account.id, reward: reward.id, quantity: 2 });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({ code: "parameter_invalid", param: "quantity" });
    expect(await balanceOf(account.id)).toBe(1200);
  });

  test("free_product → fulfillment_pending with the shipping block, no expiry; shipping is required", async () => {
    const account = await createAccount(h, 5000);
    const reward = await createReward(h, "free_product", { inventory: 5 });
    const missing = await redeem({ account: account.id, reward: reward.id });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatchObject({ code: "parameter_missing", param: "shipping" });
    expect(await balanceOf(account.id)).toBe(5000);

    const res = await redeem({ account: account.id, reward: reward.id, quantity: 2, shipping: SHIPPING });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      status: "fulfillment_pending",
      points: 2400,
      discount: null,
      expires_at: null,
      fulfillment: { product: "tote-bag", quantity: 2, shipping: SHIPPING, carrier: null, tracking: null, shipped_at: null },
    });
    expect(await balanceOf(account.id)).toBe(2600);
    const reward2 = await h.deps.db.selectFrom("rewards").select("inventory").where("id", "=", reward.id).executeTakeFirstOrThrow();
    expect(reward2.inventory).toBe(3);
  });

  test("store_credit → applied at once, with created (v1) and applied (v2) events", async () => {
    const account = await createAccount(h, 1000);
    const reward = await createReward(h, "store_credit");
    const res = await redeem({ account: account.id, reward: reward.id });
    expect(res.body).toMatchObject({ status: "applied", credit: { amount: 1000, currency: "EUR" }, version: 2, expires_at: null });
    const events = await eventsOf(res.body.id);
    expect(events.map((e) => [e.type, e.version])).toEqual([
      ["loyalty.redemption.created", 1],
      ["loyalty.redemption.applied", 2],
    ]);
    expect(await balanceOf(account.id)).toBe(0);
  });

  describe("refusals leave nothing behind", () => {
    const expectRefused = async (res: { status: number; body: any }, status: number, code: string, param?: string) => {
      expect(res.status).toBe(status);
      expect(res.body.error).toMatchObject({ code, ...(param ? { param } : {}) });
    };

    test("404 for an unknown account or reward", async () => {
      const account = await createAccount(h, 1000);
      const reward = await createReward(h);
      await expectRefused(await redeem({ account: "loy_nope", reward: reward.id }), 404, "resource_missing", "account");
      await expectRefused(await redeem({ account: account.id, reward: "rwd_nope" }), 404, "resource_missing", "reward");
      expect(await balanceOf(account.id)).toBe(1000);
    });

    test("422 insufficient_points, reward_inactive, reward_out_of_stock, account_closed", async () => {
      const poor = await createAccount(h, 499);
      const rich = await createAccount(h, 10_000);
      const reward = await createReward(h);
      await expectRefused(await redeem({ account: poor.id, reward: reward.id }), 422, "insufficient_points");

      const inactive = await createReward(h, "discount_amount", { active: false });
      await expectRefused(await redeem({ account: rich.id, reward: inactive.id }), 422, "reward_inactive", "reward");

      const soldOut = await createReward(h, "store_credit", { inventory: 0 });
      await expectRefused(await redeem({ account: rich.id, reward: soldOut.id }), 422, "reward_out_of_stock", "reward");

      const closed = await createAccount(h, 10_000);
      await h.api("POST", `/v1/loyalty/accounts/${closed.id}/close`);
      await expectRefused(await redeem({ account: closed.id, reward: reward.id }), 422, "account_closed", "account");

      expect(await balanceOf(poor.id)).toBe(499);
      expect(await balanceOf(rich.id)).toBe(10_000);
      const count = await h.deps.db
        .selectFrom("redemptions")
        .select((eb) => eb.fn.countAll<string>().as("n"))
        .where("account_id", "in", [poor.id, rich.id, closed.id])
        .executeTakeFirstOrThrow();
      expect(Number(count.n)).toBe(0);
    });

    test("400 for bad parameters, before anything is queued", async () => {
      await expectRefused(await redeem({ reward: "rwd_x" }), 400, "parameter_missing", "account");
      await expectRefused(await redeem({ account: "loy_x", reward: "rwd_x", quantity: 0 }), 400, "parameter_invalid", "quantity");
      await expectRefused(await redeem({ account: "loy_x", reward: "rwd_x", shipping: { name: "x" } }), 400, "parameter_missing", "shipping.line1");
    });
  });

  test("list with account, status and reward filters", async () => {
    const account = await createAccount(h, 5000);
    const discount = await createReward(h, "discount_amount");
    const credit = await createReward(h, "store_credit");
    const a = await redeem({ account: account.id, reward: discount.id });
    const b = await redeem({ account: account.id, reward: credit.id });
    const all = await h.api("GET", `/v1/loyalty/redemptions?account=${account.id}`);
    expect(all.body.data.map((r: { id: string }) => r.id)).toEqual([b.body.id, a.body.id]);
    const pending = await h.api("GET", `/v1/loyalty/redemptions?account=${account.id}&status=pending`);
    expect(pending.body.data.map((r: { id: string }) => r.id)).toEqual([a.body.id]);
    const byReward = await h.api("GET", `/v1/loyalty/redemptions?reward=${credit.id}`);
    expect(byReward.body.data.map((r: { id: string }) => r.id)).toEqual([b.body.id]);
    expect((await h.api("GET", "/v1/loyalty/redemptions?status=lost")).status).toBe(400);
    expect((await h.api("GET", "/v1/loyalty/redemptions/rdm_nope")).status).toBe(404);
  });
});
