import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from "vitest";
import { runSweepsOnce } from "../../jobs/sweepers.js";
import { createMerchant } from "../../src/domain/merchants/merchants.js";
import { signWebhook } from "../../src/webhooks/standard-webhooks.js";
import { startHarness, type Harness } from "../helpers/harness.js";
import { expectLedgerInvariants } from "../helpers/invariants.js";
import { countRows, processed, redeem, sendWebhook, snapshot } from "../helpers/lifecycle.js";
import { signatureVectors } from "../helpers/vectors.js";

const vectors = signatureVectors;

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ SWEEP_STALE_AFTER_MS: "10" });
});
afterEach(async () => {
  vi.restoreAllMocks();
  await expectLedgerInvariants(h.deps.db);
});
afterAll(async () => h?.close());

const url = (source = "payments", merchant = h.merchant.merchant) => `/webhooks/${merchant}/${source}`;
const post = (path: string, rawBody: string, headers: Record<string, string>) => h.api("POST", path, { key: null, rawBody, headers });
const event = (type: string, object: Record<string, unknown>) =>
  JSON.stringify({ id: "evt_1", type, created: Math.floor(Date.now() / 1000), livemode: false, data: { object } });

/** Asserts a 401 in the API error shape and that nothing reached the inbox. */
async function expectRefused(res: { status: number; body: any }) {
  expect(res.status).toBe(401);
  expect(res.body.error).toMatchObject({ type: "authentication_error", code: "signature_invalid" });
  expect(await countRows(h, "inbound_webhooks")).toBe(inboxBefore);
}
let inboxBefore = 0;

describe("signature verification", () => {
  beforeAll(async () => {
    // The vectors' secrets become valid payment secrets of this merchant (alongside its own: rotation).
    await h.deps.db
      .insertInto("inbound_secrets")
      .values(vectors.valid.map((v) => ({ merchant_id: h.merchant.merchant, source: "payments" as const, secret: v.secret, expires_at: null })))
      .execute();
  });
  afterEach(async () => {
    inboxBefore = await countRows(h, "inbound_webhooks");
  });

  test.each(vectors.valid)("valid vector $id passes verification (then its body, lacking `type`, is a 400)", async (v) => {
    inboxBefore = await countRows(h, "inbound_webhooks");
    vi.spyOn(Date, "now").mockReturnValue(v.timestamp * 1000);
    const res = await post(url(), v.body, { "webhook-id": v.id, "webhook-timestamp": String(v.timestamp), "webhook-signature": v.signature });
    vi.restoreAllMocks();
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("body_invalid");
    expect(await countRows(h, "inbound_webhooks")).toBe(inboxBefore);
  });

  test.each(vectors.invalid_signatures_for_first_vector)("invalid vector signature %s → 401", async (signature) => {
    const v = vectors.valid[0]!;
    inboxBefore = await countRows(h, "inbound_webhooks");
    vi.spyOn(Date, "now").mockReturnValue(v.timestamp * 1000);
    const res = await post(url(), v.body, { "webhook-id": v.id, "webhook-timestamp": String(v.timestamp), "webhook-signature": signature });
    vi.restoreAllMocks();
    await expectRefused(res);
  });

  test.each([-301, 301])("a correctly signed event %i s away from now → 401", async (offset) => {
    inboxBefore = await countRows(h, "inbound_webhooks");
    const res = await sendWebhook(h, "payments", { type: "payment.created", data: { object: { id: "pay_1" } } }, { at: new Date(Date.now() + offset * 1000) });
    await expectRefused(res);
  });

  test("a re-serialised body → 401", async () => {
    inboxBefore = await countRows(h, "inbound_webhooks");
    const body = event("payment.created", { id: "pay_1", discounts: [] }).replace(/,/g, ", ");
    const headers = signWebhook([h.merchant.inbound_secrets.payments], "msg_reser", new Date(), body);
    await expectRefused(await post(url(), JSON.stringify(JSON.parse(body)), { ...headers }));
  });

  test.each(["webhook-id", "webhook-timestamp", "webhook-signature"])("missing %s → 401", async (missing) => {
    inboxBefore = await countRows(h, "inbound_webhooks");
    const body = event("payment.created", { id: "pay_1" });
    const headers: Record<string, string> = { ...signWebhook([h.merchant.inbound_secrets.payments], "msg_missing", new Date(), body) };
    delete headers[missing];
    await expectRefused(await post(url(), body, headers));
  });

  test("another merchant's secret, another source's secret, an unknown merchant, an expired secret → 401", async () => {
    inboxBefore = await countRows(h, "inbound_webhooks");
    const other = await createMerchant(h.deps.db, "Other");
    const created = { type: "payment.created", data: { object: { id: "pay_1" } } };
    await expectRefused(await sendWebhook(h, "payments", created, { secret: other.inbound_secrets.payments }));
    await expectRefused(await sendWebhook(h, "payments", created, { secret: h.merchant.inbound_secrets.warehouse }));
    await expectRefused(await sendWebhook(h, "payments", created, { merchant: "mer_unknown" }));
    const expired = "whsec_" + Buffer.from("an expired secret 24 byt").toString("base64");
    await h.deps.db
      .insertInto("inbound_secrets")
      .values({ merchant_id: h.merchant.merchant, source: "payments", secret: expired, expires_at: new Date(Date.now() - 1000) })
      .execute();
    await expectRefused(await sendWebhook(h, "payments", created, { secret: expired }));
  });

  test("a secret added for rotation is accepted alongside the old one", async () => {
    const next = "whsec_" + Buffer.from("the rotated-in secret 24").toString("base64");
    await h.deps.db
      .insertInto("inbound_secrets")
      .values({ merchant_id: h.merchant.merchant, source: "warehouse", secret: next, expires_at: new Date(Date.now() + 86_400_000) })
      .execute();
    const shipped = { type: "shipment.shipped", data: { object: { redemption: "rdm_none" } } };
    for (const res of [await sendWebhook(h, "warehouse", shipped, { secret: next }), await sendWebhook(h, "warehouse", shipped)]) {
      expect(res.status).toBe(200);
      expect(await processed(h, res.webhookId)).toMatchObject({ merchant_id: h.merchant.merchant, source: "warehouse", event_type: "shipment.shipped" });
    }
  });

  test("malformed JSON with a valid signature → 400 body_invalid, nothing stored", async () => {
    inboxBefore = await countRows(h, "inbound_webhooks");
    for (const body of ['{"type": "payment.created", ', "[1,2]", '{"type": 7}']) {
      const res = await sendWebhook(h, "payments", body);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe("body_invalid");
    }
    expect(await countRows(h, "inbound_webhooks")).toBe(inboxBefore);
  });
});

test("the inbound endpoints are in the OpenAPI document", async () => {
  const doc = await h.api("GET", "/openapi.json", { key: null });
  expect(doc.status).toBe(200);
  expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(["/webhooks/{merchant}/payments", "/webhooks/{merchant}/warehouse"]));
});

describe("the inbox", () => {
  test("stores the exact bytes before answering; unknown types are stored and ignored", async () => {
    const body = ` {"type":"payment.refunded",  "livemode":false, "data":{"object":{"id":"pay_9"}}}`;
    const res = await sendWebhook(h, "payments", body);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ received: true, duplicate: false });
    const row = await processed(h, res.webhookId);
    expect(row).toMatchObject({ payload: body, event_type: "payment.refunded", outcome: "ignored", merchant_id: h.merchant.merchant });
  });

  test("an unknown redemption is recorded as unmatched", async () => {
    const res = await sendWebhook(h, "payments", { type: "payment.completed", data: { object: { id: "pay_x", currency: "EUR", discounts: [{ redemption: "rdm_nope" }, { code: "VINR-ZZZZ" }] } } });
    expect(res.status).toBe(200);
    const row = await processed(h, res.webhookId);
    expect(row.outcome).toBe("unmatched");
    expect(row.results).toEqual([
      { ref: "rdm_nope", redemption: null, outcome: "unmatched" },
      { ref: "VINR-ZZZZ", redemption: null, outcome: "unmatched" },
    ]);
  });

  test("the same webhook delivered 5 times at once: one row, one effect", async () => {
    const r = await redeem(h, "discount_amount");
    const body = event("payment.canceled", { id: "pay_dup", currency: "EUR", discounts: [{ redemption: r.id }] });
    const headers = signWebhook([h.merchant.inbound_secrets.payments], "msg_five_times", new Date(), body);
    const answers = await Promise.all(Array.from({ length: 5 }, () => post(url(), body, { ...headers })));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(answers.filter((a) => a.body.duplicate === false)).toHaveLength(1);
    await processed(h, "msg_five_times");
    const rows = await h.deps.db.selectFrom("inbound_webhooks").select("id").where("webhook_id", "=", "msg_five_times").execute();
    expect(rows).toHaveLength(1);
    expect(await snapshot(h, r.id)).toMatchObject({ status: "released", version: 2, ledger: ["redemption:-500", "release:500"], events: ["created@1", "released@2"] });
  });

  test("a row whose job was lost is processed after the sweeper re-drives it", async () => {
    const r = await redeem(h, "discount_amount");
    await h.stopWorkers();
    const res = await sendWebhook(h, "payments", { type: "payment.completed", data: { object: { id: "pay_lost", amount: 2999, currency: "EUR", discounts: [{ redemption: r.id }] } } });
    expect(res.status).toBe(200);
    // The answer does not wait for the enqueue: let it land, then lose it with the rest of Redis.
    await h.deps.inbox.idle();
    await h.flushQueues();
    h.startWorkers();
    expect((await snapshot(h, r.id)).status).toBe("pending");
    await new Promise((resolve) => setTimeout(resolve, 20)); // older than SWEEP_STALE_AFTER_MS (10 ms)
    const counts = await runSweepsOnce(h.workerDeps);
    expect(counts.unprocessedInboundWebhooks).toBeGreaterThanOrEqual(1);
    expect((await processed(h, res.webhookId)).outcome).toBe("processed");
    expect(await snapshot(h, r.id)).toMatchObject({ status: "applied", version: 2, payment: "pay_lost" });
  });
});
