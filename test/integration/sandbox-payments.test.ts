import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { createMerchant } from "../../src/domain/merchants/merchants.js";
import { createAccount, createReward } from "../helpers/factories.js";
import { startHarness, type Harness } from "../helpers/harness.js";
import { expectLedgerInvariants } from "../helpers/invariants.js";
import { countRows, processed, redeem, snapshot } from "../helpers/lifecycle.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterEach(async () => expectLedgerInvariants(h.deps.db));
afterAll(async () => h?.close());

const pay = (body: Record<string, unknown>, options: { key?: string; idempotencyKey?: string } = {}) =>
  h.api("POST", "/v1/test/payments", { body, idempotencyKey: options.idempotencyKey ?? randomUUID(), ...(options.key ? { key: options.key } : {}) });

/** Processing is asynchronous (docs/api.md §7): the redemption settles shortly after the payment answers. */
async function settled(id: string, status: string) {
  for (let i = 0; i < 100; i++) {
    const state = await snapshot(h, id);
    if (state.status === status) return state;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`redemption ${id} never became ${status} (is ${(await snapshot(h, id)).status})`);
}

async function inboxFor(paymentId: string) {
  // One transaction stores a payment's events, so they share received_at: ordered by type for comparison.
  const rows = await h.deps.db.selectFrom("inbound_webhooks").selectAll().where("payload", "like", `%"id":"${paymentId}"%`).orderBy("event_type").execute();
  return rows.map((row) => ({ type: row.event_type, source: row.source, livemode: row.livemode, object: JSON.parse(row.payload).data.object }));
}

describe("POST /v1/test/payments", () => {
  test("4242 applies the discount (2999 − 500 → 2499), completes, and the redemption becomes applied", async () => {
    const redemption = await redeem(h, "discount_amount");
    const before = await snapshot(h, redemption.id);
    const res = await pay({ amount: 2999, currency: "EUR", card: { number: "4242 4242 4242 4242" }, discounts: [{ redemption: redemption.id }], customer: "cus_1" });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      id: expect.stringMatching(/^pay_/),
      object: "payment",
      amount: 2999,
      amount_discount: 500,
      amount_charged: 2499,
      currency: "EUR",
      status: "completed",
      discounts: [{ redemption: redemption.id, amount: 500 }],
      failure_code: null,
      livemode: false,
      created: expect.any(Number),
    });
    const stored = await h.deps.db.selectFrom("test_payments").selectAll().where("id", "=", res.body.id).executeTakeFirstOrThrow();
    expect(stored).toMatchObject({ merchant_id: h.merchant.merchant, amount_charged: 2499, status: "completed", card_last4: "4242" });

    // The provider's events went through the inbox, as a real provider's would.
    const inbox = await inboxFor(res.body.id);
    expect(inbox.map((row) => row.type)).toEqual(["payment.completed", "payment.created"]);
    expect(inbox.every((row) => row.source === "payments" && row.livemode === false)).toBe(true);
    expect(inbox[0]!.object).toEqual(res.body);

    const after = await settled(redemption.id, "applied");
    expect(after.payment).toBe(res.body.id);
    expect(after.balance).toBe(before.balance);
    expect(after.events).toEqual(["created@1", "applied@2"]);
  });

  test.each([
    ["4000 0000 0000 0002", "card_declined"],
    ["4000000000009995", "insufficient_funds"],
  ])("%s fails (%s): the redemption is released and the points come back", async (number, failureCode) => {
    const redemption = await redeem(h, "discount_amount");
    const before = await snapshot(h, redemption.id);
    const res = await pay({ amount: 2999, currency: "EUR", card: { number }, discounts: [{ redemption: redemption.id }] });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: "failed", failure_code: failureCode, amount_charged: 2499 });
    const after = await settled(redemption.id, "released");
    expect(after.balance).toBe(before.balance + redemption.points);
    expect(after.ledger).toEqual([`redemption:-${redemption.points}`, `release:${redemption.points}`]);
    expect((await inboxFor(res.body.id)).map((row) => row.type)).toEqual(["payment.created", "payment.failed"]);
  });

  test("3220 requires authentication (redemption linked, still pending) until expired → released", async () => {
    const redemption = await redeem(h, "discount_amount");
    const res = await pay({ amount: 2999, currency: "EUR", card: { number: "4000000000003220" }, discounts: [{ redemption: redemption.id }] });
    expect(res.body).toMatchObject({ status: "requires_authentication", failure_code: null });
    for (let i = 0; i < 100 && (await snapshot(h, redemption.id)).payment === null; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await snapshot(h, redemption.id)).toMatchObject({ status: "pending", payment: res.body.id });

    // Held by this payment: another payment cannot take the same discount.
    const other = await pay({ amount: 1000, currency: "EUR", card: { number: "4242424242424242" }, discounts: [{ redemption: redemption.id }] });
    expect(other.status).toBe(422);
    expect(other.body.error).toMatchObject({ code: "invalid_state_transition", param: "discounts.0.redemption" });

    const expired = await h.api("POST", `/v1/test/payments/${res.body.id}/expire`, { idempotencyKey: randomUUID() });
    expect(expired.status).toBe(200);
    expect(expired.body).toMatchObject({ id: res.body.id, status: "expired" });
    await settled(redemption.id, "released");
    const again = await h.api("POST", `/v1/test/payments/${res.body.id}/expire`, { idempotencyKey: randomUUID() });
    expect(again.status).toBe(422);
    expect(again.body.error.code).toBe("invalid_state_transition");
    expect((await h.api("POST", "/v1/test/payments/pay_nope/expire")).status).toBe(404);
    expect((await inboxFor(res.body.id)).map((row) => row.type)).toEqual(["payment.created", "payment.expired", "payment.requires_authentication"]);
  });

  test("percent discounts take floor(amount × percent / 100); the charge never goes below 0", async () => {
    const percent = await redeem(h, "discount_percent");
    const res = await pay({ amount: 1999, currency: "EUR", card: { number: "4242424242424242" }, discounts: [{ redemption: percent.id }] });
    expect(res.body).toMatchObject({ amount_discount: 199, amount_charged: 1800 });
    await settled(percent.id, "applied");

    const big = await redeem(h, "discount_amount");
    const small = await pay({ amount: 300, currency: "EUR", card: { number: "4242424242424242" }, discounts: [{ redemption: big.id }] });
    expect(small.body).toMatchObject({ amount: 300, amount_discount: 300, amount_charged: 0, discounts: [{ redemption: big.id, amount: 300 }] });
    // The provider granted 300 of a 500 discount: its events are settlement conflicts, never an application.
    for (const row of await h.deps.db.selectFrom("inbound_webhooks").select("webhook_id").where("payload", "like", `%"id":"${small.body.id}"%`).execute()) {
      await processed(h, row.webhook_id);
    }
    expect(await snapshot(h, big.id)).toMatchObject({ status: "pending", payment: null, events: ["created@1", "settlement_conflict@1"] });
  });

  test("refusals: currency mismatch, unknown or foreign redemption, not pending, unknown card, duplicates", async () => {
    const redemption = await redeem(h, "discount_amount");
    const paymentsOf = async (merchant: string) =>
      Number((await h.deps.db.selectFrom("test_payments").select((eb) => eb.fn.countAll<number>().as("n")).where("merchant_id", "=", merchant).executeTakeFirstOrThrow()).n);
    const [paymentsBefore, inboxBefore] = [await paymentsOf(h.merchant.merchant), await countRows(h, "inbound_webhooks")];
    const mismatch = await pay({ amount: 2999, currency: "USD", card: { number: "4242424242424242" }, discounts: [{ redemption: redemption.id }] });
    expect(mismatch.status).toBe(422);
    expect(mismatch.body.error).toMatchObject({ code: "currency_mismatch", param: "discounts.0.redemption" });

    expect((await pay({ amount: 2999, currency: "EUR", card: { number: "4242424242424242" }, discounts: [{ redemption: "rdm_nope" }] })).status).toBe(404);
    const other = await createMerchant(h.deps.db, "Other");
    const foreign = await pay({ amount: 2999, currency: "EUR", card: { number: "4242424242424242" }, discounts: [{ redemption: redemption.id }] }, { key: other.secret_key_test });
    expect(foreign.status).toBe(404);

    const credit = await redeem(h, "store_credit");
    const applied = await pay({ amount: 2999, currency: "EUR", card: { number: "4242424242424242" }, discounts: [{ redemption: credit.id }] });
    expect(applied.status).toBe(422);
    expect(applied.body.error.code).toBe("invalid_state_transition");

    const card = await pay({ amount: 2999, currency: "EUR", card: { number: "4111111111111111" } });
    expect(card.status).toBe(400);
    expect(card.body.error).toMatchObject({ code: "parameter_invalid", param: "card.number" });
    const twice = await pay({ amount: 2999, currency: "EUR", card: { number: "4242424242424242" }, discounts: [{ redemption: redemption.id }, { redemption: redemption.id }] });
    expect(twice.status).toBe(400);

    // Nothing refused left a payment or an inbox row behind, and the redemption is untouched.
    expect(await snapshot(h, redemption.id)).toMatchObject({ status: "pending", payment: null });
    expect(await paymentsOf(h.merchant.merchant)).toBe(paymentsBefore);
    expect(await paymentsOf(other.merchant)).toBe(0);
    expect(await countRows(h, "inbound_webhooks")).toBe(inboxBefore);
  });

  test("live keys get 404, exactly like an unknown URL, even with an invalid body", async () => {
    const live = await pay({ amount: 2999, currency: "EUR", card: { number: "4242424242424242" } }, { key: h.merchant.secret_key_live });
    expect(live.status).toBe(404);
    expect(live.body.error).toMatchObject({ code: "resource_missing", message: "Unrecognized request URL (POST /v1/test/payments)." });
    expect((await pay({}, { key: h.merchant.secret_key_live })).status).toBe(404);
    expect((await h.api("POST", "/v1/test/payments/pay_x/expire", { key: h.merchant.secret_key_live })).status).toBe(404);
  });

  test("idempotent: a retry with the same key replays the payment and sends no second set of events", async () => {
    const account = await createAccount(h, 1000);
    const reward = await createReward(h, "discount_amount");
    const created = await h.api("POST", "/v1/loyalty/redemptions", { body: { account: account.id, reward: reward.id }, idempotencyKey: randomUUID() });
    const body = { amount: 2999, currency: "EUR", card: { number: "4242424242424242" }, discounts: [{ redemption: created.body.id }] };
    const first = await pay(body, { idempotencyKey: "sandbox-pay-1" });
    const second = await pay(body, { idempotencyKey: "sandbox-pay-1" });
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(second.text).toBe(first.text);
    expect(await h.deps.db.selectFrom("test_payments").select("id").where("discounts", "@>", JSON.stringify([{ redemption: created.body.id }]) as never).execute()).toHaveLength(1);
    expect(await inboxFor(first.body.id)).toHaveLength(2);
    await settled(created.body.id, "applied");
  });
});
