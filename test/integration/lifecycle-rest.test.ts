import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { createMerchant } from "../../src/domain/merchants/merchants.js";
import { startHarness, type Harness } from "../helpers/harness.js";
import { expectLedgerInvariants } from "../helpers/invariants.js";
import { lifecycleCall, paymentEvent, processed, redeem, sendWebhook, snapshot } from "../helpers/lifecycle.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterEach(async () => expectLedgerInvariants(h.deps.db));
afterAll(async () => h?.close());

type State = "pending" | "applied_discount" | "released" | "reversed" | "fulfillment_pending" | "fulfilled" | "applied_credit";

/** Brings a fresh redemption to `state` through the public API (and a signed payment event). */
async function reach(state: State) {
  const kind = state === "fulfillment_pending" || state === "fulfilled" ? "free_product" : state === "applied_credit" ? "store_credit" : "discount_amount";
  const redemption = await redeem(h, kind);
  if (state === "applied_discount") {
    const inbox = await paymentEvent(h, "payment.completed", { id: `pay_${randomUUID()}`, amount: 2999, currency: "EUR", discounts: [{ redemption: redemption.id }] });
    expect(inbox.results).toEqual([{ ref: redemption.id, redemption: redemption.id, outcome: "applied" }]);
  }
  if (state === "released") expect((await lifecycleCall(h, redemption.id, "release")).status).toBe(200);
  if (state === "reversed") expect((await lifecycleCall(h, redemption.id, "reverse", { reason: "other" })).status).toBe(200);
  if (state === "fulfilled") expect((await lifecycleCall(h, redemption.id, "fulfill", { tracking: "1Z999" })).status).toBe(200);
  expect((await snapshot(h, redemption.id)).status).toBe(state.replace(/_discount|_credit/, ""));
  return redemption;
}

describe("legal edges", () => {
  test("pending → released: points back with a release row, inventory restored, code voided, v2", async () => {
    const r = await reach("pending");
    const before = await snapshot(h, r.id);
    expect(before).toMatchObject({ balance: 100, inventory: 4, ledger: ["redemption:-500"], events: ["created@1"], version: 1 });
    const res = await lifecycleCall(h, r.id, "release");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: r.id, status: "released", version: 2, reversal: null });
    expect(await snapshot(h, r.id)).toMatchObject({
      status: "released", version: 2, balance: 600, inventory: 5, ledger: ["redemption:-500", "release:500"], events: ["created@1", "released@2"],
    });
    const byCode = await h.api("GET", `/v1/loyalty/redemptions?code=${r.discount!.code}`);
    expect(byCode.body.data).toEqual([]);
  });

  test("pending → reversed: a reversal row, `reversal` points at it, code voided", async () => {
    const r = await reach("pending");
    const res = await lifecycleCall(h, r.id, "reverse", { reason: "requested_by_customer" });
    expect(res.status).toBe(200);
    const after = await snapshot(h, r.id);
    expect(after).toMatchObject({
      status: "reversed", version: 2, balance: 600, inventory: 5, ledger: ["redemption:-500", "reversal:500"], events: ["created@1", "reversed@2"],
    });
    const credit = await h.deps.db.selectFrom("points_transactions").select("id").where("redemption_id", "=", r.id).where("type", "=", "reversal").executeTakeFirstOrThrow();
    expect(res.body.reversal).toEqual({ reason: "requested_by_customer", points_transaction: credit.id });
    expect((await h.api("GET", `/v1/loyalty/redemptions?code=${r.discount!.code}`)).body.data).toEqual([]);
  });

  test("pending → applied by a completed payment: no points move, the code still matches", async () => {
    const r = await reach("applied_discount");
    const after = await snapshot(h, r.id);
    expect(after).toMatchObject({ status: "applied", version: 2, balance: 100, inventory: 4, ledger: ["redemption:-500"], events: ["created@1", "applied@2"] });
    expect(after.payment).toMatch(/^pay_/);
    expect((await h.api("GET", `/v1/loyalty/redemptions?code=${r.discount!.code}`)).body.data).toHaveLength(1);
  });

  test("fulfillment_pending → fulfilled: tracking, carrier and shipped_at recorded, nothing else moves", async () => {
    const r = await reach("fulfillment_pending");
    const res = await lifecycleCall(h, r.id, "fulfill", { tracking: "1Z999AA1", carrier: "UPS" });
    expect(res.status).toBe(200);
    expect(res.body.fulfillment).toMatchObject({ product: "tote-bag", tracking: "1Z999AA1", carrier: "UPS" });
    expect(res.body.fulfillment.shipped_at).toBeGreaterThan(0);
    expect(await snapshot(h, r.id)).toMatchObject({
      status: "fulfilled", version: 2, balance: 100, inventory: 4, ledger: ["redemption:-1200"], events: ["created@1", "fulfilled@2"],
    });
  });

  test.each(["fulfillment_pending", "fulfilled"] as const)("%s → reversed: points and inventory back", async (state) => {
    const r = await reach(state);
    const v = (await snapshot(h, r.id)).version;
    const res = await lifecycleCall(h, r.id, "reverse", { reason: "item_returned" });
    expect(res.status).toBe(200);
    const after = await snapshot(h, r.id);
    expect(after).toMatchObject({ status: "reversed", version: v + 1, balance: 1300, inventory: 5, ledger: ["redemption:-1200", "reversal:1200"] });
    expect(after.events.at(-1)).toBe(`reversed@${v + 1}`);
  });

  test("applied store credit → reversed: v3 after created and applied", async () => {
    const r = await reach("applied_credit");
    const res = await lifecycleCall(h, r.id, "reverse", { reason: "applied_in_error" });
    expect(res.status).toBe(200);
    expect(await snapshot(h, r.id)).toMatchObject({
      status: "reversed", version: 3, balance: 1100, inventory: 5, ledger: ["redemption:-1000", "reversal:1000"], events: ["created@1", "applied@2", "reversed@3"],
    });
  });

  test("an unlimited reward stays unlimited when points come back", async () => {
    const r = await redeem(h, "discount_percent", { inventory: null });
    expect((await lifecycleCall(h, r.id, "release")).status).toBe(200);
    expect(await snapshot(h, r.id)).toMatchObject({ status: "released", inventory: null, balance: 900, ledger: ["redemption:-800", "release:800"] });
  });
});

describe("refused edges change nothing", () => {
  const refusals: [State, "fulfill" | "reverse" | "release", string][] = [
    ["pending", "fulfill", "invalid_state_transition"],
    ["applied_discount", "reverse", "redemption_already_applied"],
    ["applied_discount", "release", "invalid_state_transition"],
    ["applied_discount", "fulfill", "invalid_state_transition"],
    ["released", "release", "invalid_state_transition"],
    ["released", "reverse", "invalid_state_transition"],
    ["released", "fulfill", "invalid_state_transition"],
    ["reversed", "reverse", "invalid_state_transition"],
    ["reversed", "release", "invalid_state_transition"],
    ["fulfillment_pending", "release", "invalid_state_transition"],
    ["fulfilled", "fulfill", "invalid_state_transition"],
    ["fulfilled", "release", "invalid_state_transition"],
    ["applied_credit", "release", "invalid_state_transition"],
    ["applied_credit", "fulfill", "invalid_state_transition"],
  ];
  test.each(refusals)("%s: %s → 422 %s", async (state, action, code) => {
    const r = await reach(state);
    const before = await snapshot(h, r.id);
    const body = action === "fulfill" ? { tracking: "T1" } : action === "reverse" ? { reason: "other" } : {};
    const res = await lifecycleCall(h, r.id, action, body);
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe(code);
    const after = await snapshot(h, r.id);
    expect({ ...after, row: undefined }).toEqual({ ...before, row: undefined });
  });
});

describe("REST behaviour", () => {
  test("a retried release with the same key replays; points come back once", async () => {
    const r = await reach("pending");
    const key = randomUUID();
    const [a, b] = await Promise.all([lifecycleCall(h, r.id, "release", {}, key), lifecycleCall(h, r.id, "release", {}, key)]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(a.text).toBe(b.text);
    const replay = await lifecycleCall(h, r.id, "release", {}, key);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect((await snapshot(h, r.id)).ledger).toEqual(["redemption:-500", "release:500"]);
  });

  test("racing releases, reverses and a payment completion: exactly one wins, points return at most once", async () => {
    const r = await reach("pending");
    const completion = sendWebhook(h, "payments", {
      type: "payment.completed",
      data: { object: { id: "pay_race", amount: 2999, currency: "EUR", discounts: [{ redemption: r.id }] } },
    });
    const calls = await Promise.all([
      ...Array.from({ length: 3 }, () => lifecycleCall(h, r.id, "release")),
      ...Array.from({ length: 2 }, () => lifecycleCall(h, r.id, "reverse", { reason: "other" })),
    ]);
    await processed(h, (await completion).webhookId);
    const after = await snapshot(h, r.id);
    const wins = calls.filter((call) => call.status === 200).length + (after.status === "applied" ? 1 : 0);
    expect(wins).toBe(1);
    expect(calls.every((call) => call.status === 200 || call.status === 422)).toBe(true);
    expect(after.version).toBe(2);
    expect(after.ledger.filter((entry) => !entry.startsWith("redemption:"))).toHaveLength(after.status === "applied" ? 0 : 1);
    expect(after.events.filter((e) => !e.startsWith("settlement_conflict"))).toHaveLength(2);
  });

  test("unknown, other merchant's and other mode's ids are 404 and untouched", async () => {
    const r = await reach("pending");
    const other = await createMerchant(h.deps.db, "Other");
    const tries = [
      await h.api("POST", `/v1/loyalty/redemptions/rdm_doesnotexist/release`, { body: {} }),
      await h.api("POST", `/v1/loyalty/redemptions/${r.id}/release`, { body: {}, key: other.secret_key_test }),
      await h.api("POST", `/v1/loyalty/redemptions/${r.id}/release`, { body: {}, key: h.merchant.secret_key_live }),
    ];
    for (const res of tries) {
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe("resource_missing");
    }
    expect((await snapshot(h, r.id)).status).toBe("pending");
  });

  test("bad bodies are 400 and run nothing", async () => {
    const r = await reach("fulfillment_pending");
    const noTracking = await lifecycleCall(h, r.id, "fulfill", {});
    expect(noTracking.status).toBe(400);
    expect(noTracking.body.error).toMatchObject({ code: "parameter_missing", param: "tracking" });
    const badReason = await lifecycleCall(h, r.id, "reverse", { reason: "because" });
    expect(badReason.status).toBe(400);
    expect(badReason.body.error.param).toBe("reason");
    expect((await snapshot(h, r.id)).version).toBe(1);
  });
});
