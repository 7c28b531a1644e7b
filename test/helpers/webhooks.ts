import { randomUUID } from "node:crypto";
import { expect } from "vitest";
import { createMerchant } from "../../src/domain/merchants/merchants.js";
import { createAccount, createReward } from "./factories.js";
import type { Harness } from "./harness.js";
import { waitFor, type Receiver } from "./receiver.js";

/** A fresh merchant per test, so endpoints of one test never receive another test's events. */
export async function newTenant(h: Harness) {
  return createMerchant(h.deps.db, `Tenant ${randomUUID().slice(0, 8)}`);
}

export async function registerEndpoint(h: Harness, key: string, receiver: Receiver, body: Record<string, unknown> = {}) {
  const res = await h.api("POST", "/v1/webhook-endpoints", { key, body: { url: receiver.url(), enabled_events: ["*"], ...body } });
  expect(res.status, res.text).toBe(201);
  receiver.secrets.push(res.body.secret);
  return res.body as { id: string; secret: string; url: string; status: string };
}

/** Creates a redemption (which writes a `loyalty.redemption.created` event) and returns that event's id. */
export async function redeem(h: Harness, key: string): Promise<{ redemption: string; event: string }> {
  const account = await createAccount(h, 1000, key);
  const reward = await createReward(h, "discount_amount", {}, key);
  const res = await h.api("POST", "/v1/loyalty/redemptions", { key, body: { account: account.id, reward: reward.id }, idempotencyKey: randomUUID() });
  expect(res.status, res.text).toBe(201);
  const event = await h.deps.db.selectFrom("events").select("id").where("redemption_id", "=", res.body.id).executeTakeFirstOrThrow();
  return { redemption: res.body.id, event: event.id };
}

export async function deliveryRow(h: Harness, eventId: string, endpointId: string) {
  return h.deps.db.selectFrom("webhook_deliveries").selectAll().where("event_id", "=", eventId).where("endpoint_id", "=", endpointId).orderBy("created_at").execute();
}

/** Waits until the delivery of the event to the endpoint is no longer pending; returns its final row. */
export async function settledDelivery(h: Harness, eventId: string, endpointId: string, timeoutMs = 20_000) {
  const settled = await waitFor(async () => {
    const rows = await deliveryRow(h, eventId, endpointId);
    return rows.length > 0 && rows.every((row) => row.status !== "pending");
  }, timeoutMs);
  if (!settled) {
    const rows = await deliveryRow(h, eventId, endpointId);
    const attempts = await h.deps.db.selectFrom("webhook_attempts").selectAll().where("event_id", "=", eventId).execute();
    const event = await h.deps.db.selectFrom("events").select(["published_at", "created_at"]).where("id", "=", eventId).execute();
    const jobs = await h.deps.queues.deliveries.getJobCounts();
    const { sql } = await import("kysely");
    const activity = await sql`SELECT pid, state, wait_event_type, wait_event, xact_start, left(query, 160) AS query FROM pg_stat_activity WHERE datname = current_database()`.execute(h.deps.db);
    console.log("delivery did not settle; state:", JSON.stringify({ rows, attempts, event, jobs, now: new Date(), activity: activity.rows }));
  }
  expect(settled, `delivery of ${eventId} to ${endpointId} settled`).toBe(true);
  return (await deliveryRow(h, eventId, endpointId))[0]!;
}

export async function waitPublished(h: Harness, eventId: string) {
  const published = await waitFor(async () => {
    const row = await h.deps.db.selectFrom("events").select("published_at").where("id", "=", eventId).executeTakeFirstOrThrow();
    return row.published_at !== null;
  });
  expect(published, `event ${eventId} relayed`).toBe(true);
}

export const WEBHOOK_TEST_CONFIG = {
  WEBHOOK_ALLOW_HOSTS: "127.0.0.1,localhost",
  WEBHOOK_RETRY_SCHEDULE: "100ms,200ms,300ms",
  WEBHOOK_RELAY_INTERVAL_MS: "50",
  WEBHOOK_TIMEOUT_MS: "5000",
};
