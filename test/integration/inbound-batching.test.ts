import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { processInboundWebhookJob } from "../../jobs/process-inbound-webhook.js";
import { runSweepsOnce } from "../../jobs/sweepers.js";
import { storeInboundWebhooks, type ReceivedWebhook } from "../../src/domain/inbound/inbox.js";
import { inboundJobs, InboxWriter } from "../../src/http/inbox-writer.js";
import { signWebhook } from "../../src/webhooks/standard-webhooks.js";
import { startHarness, type Harness } from "../helpers/harness.js";
import { expectLedgerInvariants } from "../helpers/invariants.js";
import { processed, redeem, snapshot } from "../helpers/lifecycle.js";

/**
 * The batched inbound path (src/http/inbox-writer.ts, jobs/process-inbound-webhook.ts): webhooks that
 * arrive together share one INSERT and one job, and each is still stored once, answered on its own,
 * applied once and in the order it came. Asserted on the rows and the redemptions, not only on answers.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ SWEEP_STALE_AFTER_MS: "10", MAX_ATTEMPTS: "2" });
});
afterEach(async () => expectLedgerInvariants(h.deps.db));
afterAll(async () => h?.close());

const completed = (redemption: string, payment = `pay_${randomUUID().slice(0, 12)}`) => ({
  type: "payment.completed",
  data: { object: { id: payment, amount: 2999, currency: "EUR", discounts: [{ redemption }] } },
});

/** The exact bytes and headers a payment provider sends for `event` under `webhookId`. */
function signed(event: { type: string; data: unknown }, webhookId: string) {
  const body = JSON.stringify({ id: `evt_${randomUUID()}`, created: Math.floor(Date.now() / 1000), livemode: false, ...event });
  return { body, headers: signWebhook([h.merchant.inbound_secrets.payments], webhookId, new Date(), body) };
}

const post = ({ body, headers }: { body: string; headers: object }) =>
  h.api("POST", `/webhooks/${h.merchant.merchant}/payments`, { key: null, rawBody: body, headers: { ...headers } as Record<string, string> });

/** A row as the route would store it, without HTTP (for the writer and the job on their own). */
const received = (event: { type: string; data: unknown }, webhookId = `msg_${randomUUID()}`, payload?: string): ReceivedWebhook => ({
  merchantId: h.merchant.merchant,
  source: "payments",
  webhookId,
  eventType: event.type,
  livemode: false,
  payload: payload ?? JSON.stringify({ livemode: false, ...event }),
});

const rowsOf = (webhookId: string) => h.deps.db.selectFrom("inbound_webhooks").selectAll().where("webhook_id", "=", webhookId).execute();
const rowById = (id: string) => h.deps.db.selectFrom("inbound_webhooks").selectAll().where("id", "=", id).executeTakeFirstOrThrow();

describe("many webhooks at once", () => {
  test("60 concurrent webhooks (with repeats) are each stored once and applied once; they shared INSERTs and jobs", async () => {
    const redemptions = await Promise.all(Array.from({ length: 20 }, () => redeem(h, "discount_amount")));
    const firsts = redemptions.map((r) => ({ redemption: r.id, ...signed(completed(r.id), `msg_${randomUUID()}`) }));
    // Each webhook sent three times at once: the first, and two redeliveries with the same webhook-id and bytes.
    const deliveries = firsts.flatMap((first) => [first, first, first]);
    const answers = await Promise.all(deliveries.map((delivery) => post(delivery)));
    expect(answers.map((answer) => answer.status)).toEqual(deliveries.map(() => 200));
    for (const first of firsts) {
      const webhookId = first.headers["webhook-id"];
      const mine = answers.filter((_, index) => deliveries[index] === first);
      expect(mine.filter((answer) => answer.body.duplicate === false), `one first answer for ${webhookId}`).toHaveLength(1);
      await processed(h, webhookId);
      expect(await rowsOf(webhookId)).toHaveLength(1);
      expect(await snapshot(h, first.redemption)).toMatchObject({ status: "applied", version: 2, events: ["created@1", "applied@2"], ledger: ["redemption:-500"] });
    }
    // Not one INSERT or job per webhook: some job carried several rows.
    await h.deps.inbox.idle();
    const jobs = await h.deps.queues.inbound.getJobs(["completed", "active", "waiting", "failed"]);
    expect(Math.max(...jobs.map((job) => ("inboxIds" in job.data ? job.data.inboxIds.length : 1)))).toBeGreaterThan(1);
  });

  test("a repeat within one batch is the duplicate of its first occurrence; a redelivery of an older row gets that row's id", async () => {
    const older = received({ type: "payment.unknown", data: { object: {} } });
    const [before] = await storeInboundWebhooks(h.deps.db, [older]);
    const fresh = received({ type: "payment.unknown", data: { object: {} } });
    const stored = await storeInboundWebhooks(h.deps.db, [fresh, older, fresh, received({ type: "payment.unknown", data: { object: {} } })]);
    expect(stored[0]).toMatchObject({ duplicate: false });
    // An unknown type cannot touch a redemption: every row here was stored processed (finished).
    expect(stored[1]).toEqual({ id: before!.id, duplicate: true, finished: true });
    expect(stored[2]).toEqual({ id: stored[0]!.id, duplicate: true, finished: true });
    expect(stored[3]!.duplicate).toBe(false);
    expect(new Set(stored.map((row) => row.id)).size).toBe(3);
    expect(await rowsOf(fresh.webhookId)).toHaveLength(1);
  });

  test("every byte of a payload survives the column arrays of the batched INSERT", async () => {
    const payloads = ['{"type":"x","s":"a\\"b\\\\c"}', ' {"type" : "x", "a": [1, {"b": "{,}"}]}\n', '{"type":"NULL","v":"NULL"}', '{"type":"x","t":"Grüße 🎉 \\u00e9"}'];
    const webhooks = payloads.map((payload) => received({ type: "x", data: {} }, `msg_${randomUUID()}`, payload));
    const stored = await storeInboundWebhooks(h.deps.db, webhooks);
    for (const [index, row] of stored.entries()) expect((await rowById(row.id)).payload).toBe(payloads[index]);
    expect((await rowById(stored[0]!.id)).webhook_id).toBe(webhooks[0]!.webhookId);
  });

  test("a webhook that names a redemption stays unprocessed: its repeats, in the batch and later, are not finished", async () => {
    const r = await redeem(h, "discount_amount");
    const event = received(completed(r.id));
    const stored = await storeInboundWebhooks(h.deps.db, [event, event]);
    expect(stored).toEqual([
      { id: stored[0]!.id, duplicate: false, finished: false },
      { id: stored[0]!.id, duplicate: true, finished: false },
    ]);
    expect(await storeInboundWebhooks(h.deps.db, [event])).toEqual([{ id: stored[0]!.id, duplicate: true, finished: false }]);
    expect((await rowById(stored[0]!.id)).processed_at).toBeNull();
    await processInboundWebhookJob(h.workerDeps, { data: { inboxIds: [stored[0]!.id] } } as never);
    expect(await storeInboundWebhooks(h.deps.db, [event])).toEqual([{ id: stored[0]!.id, duplicate: true, finished: true }]);
  });

  test("jobs: one per merchant for new rows in arrival order; a redelivery gets its own job; a finished row none", () => {
    const jobs = inboundJobs([
      { id: "inbox_a1", merchant: "mer_a", duplicate: false, finished: false },
      { id: "inbox_b1", merchant: "mer_b", duplicate: false, finished: false },
      { id: "inbox_old", merchant: "mer_a", duplicate: true, finished: false },
      { id: "inbox_settled", merchant: "mer_a", duplicate: false, finished: true },
      { id: "inbox_a2", merchant: "mer_a", duplicate: false, finished: false },
      { id: "inbox_a1", merchant: "mer_a", duplicate: true, finished: false },
      { id: "inbox_done", merchant: "mer_b", duplicate: true, finished: true },
    ]);
    expect(jobs).toEqual([
      // Each job names its merchant: it goes to the merchant's queue partition (QUEUE_PARTITIONS).
      { payload: { inboxIds: ["inbox_a1", "inbox_a2"] }, jobId: "inbox_a1", merchant: "mer_a" },
      { payload: { inboxIds: ["inbox_b1"] }, jobId: "inbox_b1", merchant: "mer_b" },
      { payload: { inboxIds: ["inbox_old"] }, jobId: "inbox_old", merchant: "mer_a" },
    ]);
  });

  test("two events about one redemption stored together apply in the order they came", async () => {
    const r = await redeem(h, "discount_amount");
    const payment = `pay_${randomUUID().slice(0, 12)}`;
    // Completed, then canceled: applied. The other way round it would end released.
    const complete = received(completed(r.id, payment));
    const cancel = received({ type: "payment.canceled", data: { object: { id: payment, currency: "EUR", discounts: [{ redemption: r.id }] } } });
    const [first, second] = await Promise.all([h.deps.inbox.store(complete), h.deps.inbox.store(cancel)]);
    await processed(h, cancel.webhookId);
    await processed(h, complete.webhookId);
    expect((await rowById(first!.id)).results).toEqual([{ ref: r.id, redemption: r.id, outcome: "applied" }]);
    expect((await rowById(second!.id)).results).toEqual([{ ref: r.id, redemption: r.id, outcome: "ignored_already_applied" }]);
    expect(await snapshot(h, r.id)).toMatchObject({ status: "applied", version: 2, ledger: ["redemption:-500"] });
  });
});

describe("webhooks that cannot touch a redemption are stored processed", () => {
  const events = (redemption: string) => [
    { type: "payment.completed", data: { object: { id: "pay_plain", amount: 1000, currency: "EUR", discounts: [] } } },
    { type: "payment.refunded", data: { object: { id: "pay_other" } } },
    { type: "payment.failed", data: { object: { amount: "not a payment" } } },
    // One payment for the redemption in both stores below: the second completion is a repeat of it.
    completed(redemption, `pay_of_${redemption.slice(4)}`),
  ];
  const warehouse = [{ type: "shipment.shipped", data: { object: { tracking: "no redemption" } } }, { type: "shipment.lost", data: { object: {} } }];
  const asRows = (redemption: string) => [...events(redemption).map((event) => received(event)), ...warehouse.map((event) => ({ ...received(event), source: "warehouse" as const }))];
  const recorded = async (id: string) => {
    const row = await rowById(id);
    expect(row.processed_at).toBeInstanceOf(Date);
    return { outcome: row.outcome, results: row.results };
  };

  test("in the INSERT that accepts them, recording what the worker's transaction records for each", async () => {
    const r = await redeem(h, "discount_amount");
    const atIngest = await storeInboundWebhooks(h.deps.db, asRows(r.id));
    // Only the completion that names a redemption is left for a job.
    expect(atIngest.map((row) => row.finished)).toEqual([true, true, true, false, true, true]);
    const settledAtIngest = await Promise.all(atIngest.filter((row) => row.finished).map((row) => recorded(row.id)));
    expect((await rowById(atIngest[3]!.id)).processed_at).toBeNull();
    expect(await processInboundWebhookJob(h.workerDeps, { data: { inboxIds: [atIngest[3]!.id] } } as never)).toEqual({ inbox: 1, processed: 1 });

    // The same webhooks as a version that stored every row unprocessed left them: the worker applies
    // each in its own transaction, and each records what ingest recorded.
    const unprocessed = asRows(r.id);
    const ids = unprocessed.map(() => `inbox_${randomUUID().replaceAll("-", "")}`);
    await h.deps.db
      .insertInto("inbound_webhooks")
      .values(unprocessed.map((w, index) => ({ id: ids[index]!, merchant_id: w.merchantId, source: w.source, webhook_id: w.webhookId, event_type: w.eventType, livemode: w.livemode, payload: w.payload })))
      .execute();
    for (const id of ids) await processInboundWebhookJob(h.workerDeps, { data: { inboxId: id } } as never);
    const expected = [
      { outcome: "ignored", results: [] },
      { outcome: "ignored", results: [] },
      { outcome: "invalid_payload", results: [] },
      { outcome: "invalid_payload", results: [] },
      { outcome: "ignored", results: [] },
    ];
    expect(settledAtIngest).toEqual(expected);
    const byWorker = await Promise.all(ids.map((id) => recorded(id)));
    expect(byWorker.filter((_, index) => index !== 3)).toEqual(expected);
    expect(await recorded(atIngest[3]!.id)).toEqual({ outcome: "processed", results: [{ ref: r.id, redemption: r.id, outcome: "applied" }] });
    // The worker's second completion finds the redemption applied already.
    expect(byWorker[3]).toEqual({ outcome: "processed", results: [{ ref: r.id, redemption: r.id, outcome: "already_applied" }] });
    expect(await snapshot(h, r.id)).toMatchObject({ status: "applied", version: 2, ledger: ["redemption:-500"] });
  });

  test("over HTTP: processed when answered, no job enqueued, and a redelivery is a duplicate with none either", async () => {
    const delivery = signed({ type: "payment.completed", data: { object: { id: "pay_plain", amount: 1000, currency: "EUR", discounts: [] } } }, `msg_${randomUUID()}`);
    const first = await post(delivery);
    expect(first).toMatchObject({ status: 200, body: { received: true, duplicate: false } });
    // Read at once, before any worker could have run: the 200 came after the row was committed processed.
    const [row] = await rowsOf(delivery.headers["webhook-id"]);
    expect(row).toMatchObject({ outcome: "ignored", results: [], attempts: 0, failed_at: null });
    expect(row!.processed_at).toBeInstanceOf(Date);
    expect(await post(delivery)).toMatchObject({ status: 200, body: { received: true, duplicate: true } });
    await h.deps.inbox.idle();
    expect(await h.deps.queues.inbound.getJob(row!.id)).toBeUndefined();
    expect(await rowsOf(delivery.headers["webhook-id"])).toHaveLength(1);
  });
});

describe("one bad row does not block its neighbours", () => {
  test("in the INSERT: a value Postgres refuses fails only its own webhook", async () => {
    const writer = new InboxWriter(h.deps.db, h.deps.queues, h.deps.logger, 10_000);
    const good = [received({ type: "payment.unknown", data: { object: {} } }), received({ type: "payment.unknown", data: { object: {} } })];
    // A NUL cannot be stored in text (the route refuses it before; here it stands for any refused value).
    const bad = received({ type: "payment.unknown", data: { object: {} } }, `msg_${randomUUID()}`, "{\"type\":\"payment.unknown\u0000\"}");
    const results = await Promise.allSettled([writer.store(good[0]!), writer.store(bad), writer.store(good[1]!)]);
    expect(results.map((result) => result.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    for (const webhook of good) expect(await processed(h, webhook.webhookId)).toMatchObject({ outcome: "ignored" });
    expect(await rowsOf(bad.webhookId)).toHaveLength(0);
    await writer.idle();
  });

  test("in a job: the good rows are applied, the poison row is counted, retried and dead-lettered on its own", async () => {
    const [a, b] = await Promise.all([redeem(h, "discount_amount"), redeem(h, "discount_amount")]);
    const rows = await storeInboundWebhooks(h.deps.db, [
      received(completed(a.id)),
      received({ type: "payment.completed", data: {} }, `msg_${randomUUID()}`, "{not json"),
      received(completed(b.id)),
    ]);
    const ids = rows.map((row) => row.id);
    const job = { data: { inboxIds: ids } } as never;
    await expect(processInboundWebhookJob(h.workerDeps, job)).rejects.toThrow(/JSON/);
    for (const id of [ids[0]!, ids[2]!]) expect(await rowById(id)).toMatchObject({ outcome: "processed", attempts: 0 });
    expect(await rowById(ids[1]!)).toMatchObject({ processed_at: null, attempts: 1, failed_at: null });
    expect((await snapshot(h, a.id)).status).toBe("applied");
    expect((await snapshot(h, b.id)).status).toBe("applied");
    // BullMQ's retry: the applied rows are no-ops, the poison row reaches MAX_ATTEMPTS (2) and is dead.
    await expect(processInboundWebhookJob(h.workerDeps, job)).rejects.toMatchObject({ name: "UnrecoverableError" });
    expect(await rowById(ids[1]!)).toMatchObject({ attempts: 2, failed_at: expect.any(Date) });
    expect(await snapshot(h, a.id)).toMatchObject({ status: "applied", version: 2, ledger: ["redemption:-500"] });
    // Dead-lettered and the rest done: a further run does nothing and fails nothing.
    expect(await processInboundWebhookJob(h.workerDeps, job)).toEqual({ inbox: 3, processed: 0 });
  });
});

test("rows committed by a web process that died before enqueueing are re-driven by the sweeper and applied", async () => {
  const r = await redeem(h, "discount_amount");
  // What the writer commits, with no job: the process was gone before its enqueue.
  const [stored] = await storeInboundWebhooks(h.deps.db, [received(completed(r.id))]);
  expect(await h.deps.queues.inbound.getJob(stored!.id)).toBeUndefined();
  await new Promise((resolve) => setTimeout(resolve, 20)); // older than SWEEP_STALE_AFTER_MS (10 ms)
  const counts = await runSweepsOnce(h.workerDeps);
  expect(counts.unprocessedInboundWebhooks).toBeGreaterThanOrEqual(1);
  const row = await h.deps.db.selectFrom("inbound_webhooks").select("webhook_id").where("id", "=", stored!.id).executeTakeFirstOrThrow();
  expect(await processed(h, row.webhook_id)).toMatchObject({ outcome: "processed" });
  expect(await snapshot(h, r.id)).toMatchObject({ status: "applied", version: 2, events: ["created@1", "applied@2"] });
});
