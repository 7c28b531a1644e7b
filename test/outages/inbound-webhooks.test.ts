import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, test } from "vitest";
import { signWebhook } from "../../src/webhooks/standard-webhooks.js";
import { call, describe as describeAnswer, errorCode, sleep, waitUntil, type Answer } from "./lib/http.js";
import { expectAllJson } from "./lib/logs.js";
import { ANSWER_BOUND_MS, CLIENT_CAP_MS, expectRunning, printFigures, startRig, type Rig, type Tenant } from "./lib/rig.js";

/**
 * Inbound webhooks (POST /webhooks/:merchant/payments, Standard Webhooks) during outages: a webhook
 * stored in Postgres is answered 2xx even with Redis gone or paused, and the worker's sweeper processes
 * it once Redis is back (inbox row `processed_at`, and its effect: the discount is `applied`). With
 * Postgres down it cannot be stored: 503, and the provider's retry after the outage is processed once.
 */
let rig: Rig;
let tenant: Tenant;

beforeAll(async () => {
  rig = await startRig({ postgres: "private", logLevel: "trace" });
  rig.web();
  rig.worker();
  await rig.waitReady();
  tenant = await rig.tenant({ balance: 100_000, cost: 500 });
}, 120_000);
afterAll(async () => rig?.close());

/** A pending discount redemption, made while everything is up. */
async function pendingDiscount(): Promise<string> {
  await rig.waitReady();
  const res = await rig.api("POST", "/v1/loyalty/redemptions", { secretKey: tenant.secretKey, idempotencyKey: randomUUID(), body: { account: tenant.account, reward: tenant.reward } });
  expect(res.status, describeAnswer(res)).toBe(201);
  expect(res.body.status).toBe("pending");
  return res.body.id;
}

function sendPaymentCompleted(redemption: string, webhookId: string, paymentId: string): Promise<Answer> {
  const body = JSON.stringify({
    id: `evt_${randomUUID()}`,
    type: "payment.completed",
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    data: { object: { id: paymentId, amount: 2999, currency: "EUR", discounts: [{ redemption }] } },
  });
  const headers = signWebhook([tenant.merchant.inbound_secrets.payments], webhookId, new Date(), body);
  return call(rig.baseUrl, "POST", `/webhooks/${tenant.merchant.merchant}/payments`, { rawBody: body, headers: { "content-type": "application/json", ...headers }, capMs: CLIENT_CAP_MS });
}

const inboxRow = (webhookId: string) =>
  rig.db.selectFrom("inbound_webhooks").select(["id", "processed_at", "outcome"]).where("merchant_id", "=", tenant.merchant.merchant).where("webhook_id", "=", webhookId).execute();
const redemptionStatus = async (id: string) => (await rig.db.selectFrom("redemptions").select("status").where("id", "=", id).executeTakeFirstOrThrow()).status;

async function storedDuringRedisOutage(name: string, begin: () => Promise<void> | void, end: () => Promise<void> | void) {
  const since = Date.now();
  const redemption = await pendingDiscount();
  const webhookId = `msg_${randomUUID()}`;
  await begin();
  let answer: Answer;
  try {
    answer = await sendPaymentCompleted(redemption, webhookId, `pay_${randomUUID().slice(0, 12)}`);
    await sleep(1_000);
  } finally {
    await end();
  }
  const backAt = Date.now();
  const processed = await waitUntil(async () => (await inboxRow(webhookId))[0]?.processed_at ?? null, 15_000);
  const processedAfterMs = Date.now() - backAt;
  const rows = await inboxRow(webhookId);
  const status = await redemptionStatus(redemption);

  printFigures(`inbound webhook, ${name}`, { answer: { status: answer.status, ms: answer.ms }, processed_after_recovery_ms: processed ? processedAfterMs : null, redemption_status: status });
  expect.soft(answer.status >= 200 && answer.status < 300, `webhook with ${name}: ${describeAnswer(answer)} ${answer.text.slice(0, 200)} (stored in Postgres, so 2xx)`).toBe(true);
  expect.soft(answer.ms, `webhook with ${name}: answer time`).toBeLessThanOrEqual(ANSWER_BOUND_MS);
  expect.soft(rows.length, "stored once in the inbox").toBe(1);
  expect.soft(processed, `inbox row of ${webhookId} processed within 15 s of Redis coming back`).toBeTruthy();
  expect.soft(status, "the payment's effect: the discount is applied").toBe("applied");
  expectAllJson(rig.processes, since);
  expectRunning(rig.processes, name);
}

test("Redis stopped: a stored webhook is answered 2xx and processed after Redis returns", async () => {
  await storedDuringRedisOutage("redis stopped", () => rig.redis.stop({ keepData: false }), () => rig.redis.start());
}, 60_000);

test("Redis paused (SIGSTOP): a stored webhook is answered 2xx in bounded time and processed after Redis resumes", async () => {
  await storedDuringRedisOutage("redis paused", () => rig.redis.pause(), () => rig.redis.resume());
}, 60_000);

test("Postgres stopped: the webhook cannot be stored, 503; the provider's retry afterwards is processed once", async () => {
  const since = Date.now();
  const redemption = await pendingDiscount();
  const webhookId = `msg_${randomUUID()}`;
  const paymentId = `pay_${randomUUID().slice(0, 12)}`;
  rig.postgres!.stop();
  let refused: Answer;
  try {
    refused = await sendPaymentCompleted(redemption, webhookId, paymentId);
  } finally {
    rig.postgres!.start();
  }
  // The provider retries (same webhook-id, fresh signature) until a 2xx.
  const retried = await waitUntil(async () => {
    const res = await sendPaymentCompleted(redemption, webhookId, paymentId);
    return res.status >= 200 && res.status < 300 ? res : null;
  }, 15_000, 250);
  const processed = await waitUntil(async () => (await inboxRow(webhookId))[0]?.processed_at ?? null, 15_000);
  const rows = await inboxRow(webhookId);
  const status = await redemptionStatus(redemption);

  printFigures("inbound webhook, postgres stopped", { answer: { status: refused.status, code: errorCode(refused) ?? null, ms: refused.ms }, retry: retried ? { status: retried.status, ms: retried.ms } : null, redemption_status: status });
  expect.soft(refused.status, `webhook with Postgres down: ${describeAnswer(refused)} ${refused.text.slice(0, 200)}`).toBe(503);
  expect.soft(errorCode(refused)).toBe("service_unavailable");
  expect.soft(refused.ms, "answer time with Postgres down").toBeLessThanOrEqual(ANSWER_BOUND_MS);
  expect.soft(retried, "the provider's retry after the outage is accepted").toBeTruthy();
  expect.soft(rows.length, "stored once").toBe(1);
  expect.soft(processed, "processed").toBeTruthy();
  expect.soft(status, "the payment's effect: the discount is applied").toBe("applied");
  expectAllJson(rig.processes, since);
  expectRunning(rig.processes, "postgres stopped");
}, 60_000);
