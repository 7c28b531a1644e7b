import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { startHarness, type Harness } from "../helpers/harness.js";
import { expectLedgerInvariants } from "../helpers/invariants.js";
import { paymentEvent, redeem, sendWebhook, processed, snapshot, warehouseEvent } from "../helpers/lifecycle.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterEach(async () => expectLedgerInvariants(h.deps.db));
afterAll(async () => h?.close());

const payId = () => `pay_${randomUUID().replace(/-/g, "").slice(0, 20)}`;
const payment = (id: string, discounts: Record<string, string>[], currency = "EUR", amount = 2999) => ({ id, amount, currency, discounts });
const outcomeOf = (row: { results: { outcome: string }[] | null }) => row.results?.map((result) => result.outcome);

describe("payment events", () => {
  test("created links (no version, no event); completed applies", async () => {
    const r = await redeem(h, "discount_amount");
    const pay = payId();
    expect(outcomeOf(await paymentEvent(h, "payment.created", payment(pay, [{ redemption: r.id }])))).toEqual(["linked"]);
    expect(await snapshot(h, r.id)).toMatchObject({ status: "pending", version: 1, payment: pay, events: ["created@1"] });
    expect(outcomeOf(await paymentEvent(h, "payment.processing", payment(pay, [{ redemption: r.id }])))).toEqual(["already_linked"]);
    expect(outcomeOf(await paymentEvent(h, "payment.completed", payment(pay, [{ redemption: r.id }])))).toEqual(["applied"]);
    expect(await snapshot(h, r.id)).toMatchObject({ status: "applied", version: 2, balance: 100, ledger: ["redemption:-500"], events: ["created@1", "applied@2"] });
  });

  test("payment.succeeded via the discount code (typed in lower case) applies", async () => {
    const r = await redeem(h, "discount_percent");
    const row = await paymentEvent(h, "payment.succeeded", payment(payId(), [{ code: r.discount!.code.toLowerCase() }], "USD"));
    expect(row.results).toEqual([{ ref: r.discount!.code.toLowerCase(), redemption: r.id, outcome: "applied" }]);
    expect((await snapshot(h, r.id)).status).toBe("applied");
  });

  test.each(["payment.canceled", "payment.cancelled", "payment.failed", "payment.expired"])("%s releases a linked redemption", async (type) => {
    const r = await redeem(h, "discount_amount");
    const pay = payId();
    await paymentEvent(h, "payment.requires_authentication", payment(pay, [{ redemption: r.id }]));
    expect(outcomeOf(await paymentEvent(h, type, payment(pay, [{ redemption: r.id }])))).toEqual(["released"]);
    expect(await snapshot(h, r.id)).toMatchObject({
      status: "released", version: 2, balance: 600, inventory: 5, ledger: ["redemption:-500", "release:500"], events: ["created@1", "released@2"],
    });
  });

  test("completion after release: not resurrected, recorded as a settlement conflict at the current version", async () => {
    const r = await redeem(h, "discount_amount");
    const pay = payId();
    await paymentEvent(h, "payment.canceled", payment(pay, [{ redemption: r.id }]));
    const row = await paymentEvent(h, "payment.completed", payment(pay, [{ code: r.discount!.code }]));
    expect(outcomeOf(row)).toEqual(["settlement_conflict"]);
    expect(row.outcome).toBe("processed");
    expect(await snapshot(h, r.id)).toMatchObject({
      status: "released", version: 2, balance: 600, ledger: ["redemption:-500", "release:500"], events: ["created@1", "released@2", "settlement_conflict@2"],
    });
  });

  test("cancel after completion: stays applied, no points back", async () => {
    const r = await redeem(h, "discount_amount");
    const pay = payId();
    await paymentEvent(h, "payment.completed", payment(pay, [{ redemption: r.id }]));
    expect(outcomeOf(await paymentEvent(h, "payment.canceled", payment(pay, [{ redemption: r.id }])))).toEqual(["ignored_already_applied"]);
    expect(await snapshot(h, r.id)).toMatchObject({ status: "applied", version: 2, balance: 100, ledger: ["redemption:-500"], events: ["created@1", "applied@2"] });
  });

  test("events of another payment are ignored once the redemption is linked", async () => {
    const r = await redeem(h, "discount_amount");
    const mine = payId();
    await paymentEvent(h, "payment.created", payment(mine, [{ redemption: r.id }]));
    for (const type of ["payment.completed", "payment.failed"]) {
      expect(outcomeOf(await paymentEvent(h, type, payment(payId(), [{ redemption: r.id }])))).toEqual(["ignored_other_payment"]);
    }
    expect(await snapshot(h, r.id)).toMatchObject({ status: "pending", version: 1, payment: mine, ledger: ["redemption:-500"] });
    await paymentEvent(h, "payment.completed", payment(mine, [{ redemption: r.id }]));
    expect((await snapshot(h, r.id)).status).toBe("applied");
  });

  test("out of order: completed before created, then a duplicate completion under a new webhook-id", async () => {
    const r = await redeem(h, "discount_amount");
    const pay = payId();
    expect(outcomeOf(await paymentEvent(h, "payment.completed", payment(pay, [{ redemption: r.id }])))).toEqual(["applied"]);
    expect(outcomeOf(await paymentEvent(h, "payment.created", payment(pay, [{ redemption: r.id }])))).toEqual(["already_linked"]);
    expect(outcomeOf(await paymentEvent(h, "payment.succeeded", payment(pay, [{ redemption: r.id }])))).toEqual(["already_applied"]);
    expect(await snapshot(h, r.id)).toMatchObject({ status: "applied", version: 2, events: ["created@1", "applied@2"] });
  });

  test("an amount discount is not applied to a payment in another currency", async () => {
    const r = await redeem(h, "discount_amount");
    const row = await paymentEvent(h, "payment.completed", payment(payId(), [{ redemption: r.id }], "USD"));
    expect(outcomeOf(row)).toEqual(["currency_mismatch"]);
    expect(await snapshot(h, r.id)).toMatchObject({
      status: "pending", version: 1, payment: null, ledger: ["redemption:-500"], events: ["created@1", "settlement_conflict@1"],
    });
    expect(outcomeOf(await paymentEvent(h, "payment.created", payment(payId(), [{ redemption: r.id }], "GBP")))).toEqual(["currency_mismatch"]);
    expect((await snapshot(h, r.id)).payment).toBeNull();
  });

  describe("settlement checks: every link and completion is checked against the redemption, linked or not", () => {
    /** Nothing but a conflict event at the current version: still pending, points still spent, no credit back. */
    const expectConflictOnly = async (id: string, payment: string | null, conflicts = 1) =>
      expect(await snapshot(h, id)).toMatchObject({
        status: "pending", version: 1, balance: 100, payment, ledger: ["redemption:-500"],
        events: ["created@1", ...Array.from({ length: conflicts }, () => "settlement_conflict@1")],
      });
    const conflictEvents = async (id: string) =>
      (await h.deps.db.selectFrom("events").select("payload").where("redemption_id", "=", id).where("type", "=", "loyalty.redemption.settlement_conflict").execute())
        .map((row) => JSON.parse(row.payload));

    test("a USD completion of a EUR discount a EUR payment.created linked: conflict, stays pending, nothing credited", async () => {
      const r = await redeem(h, "discount_amount");
      const pay = payId();
      expect(outcomeOf(await paymentEvent(h, "payment.created", payment(pay, [{ redemption: r.id }])))).toEqual(["linked"]);
      const row = await paymentEvent(h, "payment.completed", payment(pay, [{ redemption: r.id }], "USD"));
      expect(row).toMatchObject({ outcome: "processed", results: [{ ref: r.id, redemption: r.id, outcome: "currency_mismatch" }] });
      expect(row.processed_at).not.toBeNull();
      await expectConflictOnly(r.id, pay);
      const [conflict] = await conflictEvents(r.id);
      expect(conflict).toMatchObject({ type: "loyalty.redemption.settlement_conflict", data: { object: { id: r.id, status: "pending", version: 1, payment: pay } } });

      // A correct completion of the same payment still applies it.
      expect(outcomeOf(await paymentEvent(h, "payment.completed", payment(pay, [{ redemption: r.id }])))).toEqual(["applied"]);
      expect(await snapshot(h, r.id)).toMatchObject({ status: "applied", version: 2, balance: 100, ledger: ["redemption:-500"], events: ["created@1", "settlement_conflict@1", "applied@2"] });
    });

    test("a completion of amount 1 against a 500 discount: conflict, stays pending; the same with no amount at all", async () => {
      const r = await redeem(h, "discount_amount");
      const pay = payId();
      await paymentEvent(h, "payment.created", payment(pay, [{ redemption: r.id }]));
      const row = await paymentEvent(h, "payment.completed", payment(pay, [{ redemption: r.id }], "EUR", 1));
      expect(row).toMatchObject({ outcome: "processed", results: [{ ref: r.id, redemption: r.id, outcome: "amount_below_discount" }] });
      await expectConflictOnly(r.id, pay);
      const missing = await paymentEvent(h, "payment.succeeded", { id: pay, currency: "EUR", discounts: [{ code: r.discount!.code }] });
      expect(outcomeOf(missing)).toEqual(["amount_below_discount"]);
      await expectConflictOnly(r.id, pay, 2);
      // 499 is still below; exactly the discount (a charge of 0) is enough.
      expect(outcomeOf(await paymentEvent(h, "payment.completed", payment(pay, [{ redemption: r.id }], "EUR", 499)))).toEqual(["amount_below_discount"]);
      expect(outcomeOf(await paymentEvent(h, "payment.completed", payment(pay, [{ redemption: r.id }], "eur", 500)))).toEqual(["applied"]);
      expect((await snapshot(h, r.id)).status).toBe("applied");
    });

    test("unlinked: a too-small completion neither applies nor links; a too-small payment.created does not link", async () => {
      const r = await redeem(h, "discount_amount");
      expect(outcomeOf(await paymentEvent(h, "payment.created", payment(payId(), [{ redemption: r.id }], "EUR", 100)))).toEqual(["amount_below_discount"]);
      expect((await snapshot(h, r.id)).payment).toBeNull();
      expect(outcomeOf(await paymentEvent(h, "payment.completed", payment(payId(), [{ redemption: r.id }], "EUR", 1)))).toEqual(["amount_below_discount"]);
      await expectConflictOnly(r.id, null);
    });

    test("a linked payment's release still releases whatever its amount; a refused link does not hold the redemption", async () => {
      const r = await redeem(h, "discount_amount");
      const pay = payId();
      await paymentEvent(h, "payment.created", payment(pay, [{ redemption: r.id }]));
      expect(outcomeOf(await paymentEvent(h, "payment.failed", payment(pay, [{ redemption: r.id }], "EUR", 1)))).toEqual(["released"]);
      expect(await snapshot(h, r.id)).toMatchObject({ status: "released", ledger: ["redemption:-500", "release:500"], events: ["created@1", "released@2"] });
    });

    test("percent discounts have no currency and fit any amount: only the amount discount beside it conflicts", async () => {
      const amount = await redeem(h, "discount_amount");
      const percent = await redeem(h, "discount_percent");
      const row = await paymentEvent(h, "payment.completed", payment(payId(), [{ redemption: amount.id }, { redemption: percent.id }], "JPY", 1));
      expect(outcomeOf(row)).toEqual(["currency_mismatch", "applied"]);
      expect((await snapshot(h, amount.id)).status).toBe("pending");
      expect(await snapshot(h, percent.id)).toMatchObject({ status: "applied", version: 2 });
    });
  });

  test("a live-mode event does not touch a test-mode redemption", async () => {
    const r = await redeem(h, "discount_amount");
    const body = JSON.stringify({ type: "payment.completed", livemode: true, data: { object: payment(payId(), [{ redemption: r.id }]) } });
    const res = await sendWebhook(h, "payments", body);
    expect(res.status).toBe(200);
    expect((await processed(h, res.webhookId)).outcome).toBe("unmatched");
    expect((await snapshot(h, r.id)).status).toBe("pending");
  });

  test("payment events do not act on non-discount redemptions; one event can carry several discounts", async () => {
    const product = await redeem(h, "free_product");
    const a = await redeem(h, "discount_amount");
    const b = await redeem(h, "discount_percent");
    const row = await paymentEvent(h, "payment.completed", payment(payId(), [{ redemption: product.id }, { redemption: a.id }, { code: b.discount!.code }]));
    expect(outcomeOf(row)).toEqual(["not_a_discount", "applied", "applied"]);
    expect((await snapshot(h, product.id)).status).toBe("fulfillment_pending");
  });
});

describe("warehouse events", () => {
  test("shipped → fulfilled with tracking, carrier, shipped_at; returned → reversed (item_returned)", async () => {
    const r = await redeem(h, "free_product");
    const row = await warehouseEvent(h, "shipment.shipped", { redemption: r.id, tracking: "JJD0001", carrier: "DHL", shipped_at: 1_790_000_000 });
    expect(outcomeOf(row)).toEqual(["fulfilled"]);
    const shipped = await snapshot(h, r.id);
    expect(shipped).toMatchObject({ status: "fulfilled", version: 2, balance: 100, inventory: 4, events: ["created@1", "fulfilled@2"] });
    expect(shipped.row.fulfillment).toMatchObject({ tracking: "JJD0001", carrier: "DHL", shipped_at: 1_790_000_000 });
    expect(outcomeOf(await warehouseEvent(h, "shipment.shipped", { redemption: r.id }))).toEqual(["already_fulfilled"]);

    expect(outcomeOf(await warehouseEvent(h, "shipment.returned", { redemption: r.id }))).toEqual(["reversed"]);
    const returned = await snapshot(h, r.id);
    expect(returned).toMatchObject({ status: "reversed", version: 3, balance: 1300, inventory: 5, ledger: ["redemption:-1200", "reversal:1200"] });
    expect(returned.row.reversal).toMatchObject({ reason: "item_returned" });
    expect(outcomeOf(await warehouseEvent(h, "shipment.returned", { redemption: r.id }))).toEqual(["already_reversed"]);
    expect((await snapshot(h, r.id)).ledger).toEqual(["redemption:-1200", "reversal:1200"]);
  });

  test("canceled before shipping reverses; canceled after shipping is refused and recorded", async () => {
    const early = await redeem(h, "free_product");
    expect(outcomeOf(await warehouseEvent(h, "shipment.canceled", { redemption: early.id }))).toEqual(["reversed"]);
    expect(await snapshot(h, early.id)).toMatchObject({ status: "reversed", version: 2, balance: 1300, inventory: 5 });

    const late = await redeem(h, "free_product");
    await warehouseEvent(h, "shipment.shipped", { redemption: late.id, tracking: "T" });
    expect(outcomeOf(await warehouseEvent(h, "shipment.canceled", { redemption: late.id }))).toEqual(["invalid_state_transition"]);
    expect(await snapshot(h, late.id)).toMatchObject({ status: "fulfilled", version: 2, balance: 100, ledger: ["redemption:-1200"] });
  });

  test("a warehouse event naming a discount redemption changes nothing", async () => {
    const r = await redeem(h, "discount_amount");
    expect(outcomeOf(await warehouseEvent(h, "shipment.returned", { redemption: r.id }))).toEqual(["not_a_shipment"]);
    expect(await snapshot(h, r.id)).toMatchObject({ status: "pending", version: 1 });
  });
});
