import { createHash } from "node:crypto";
import { afterAll, afterEach, beforeAll, expect, test } from "vitest";
import { checkInvariants } from "../../src/domain/invariants/checks.js";
import { newId } from "../../src/ids.js";
import { startHarness, type Harness } from "../helpers/harness.js";
import { Receiver, waitFor } from "../helpers/receiver.js";
import { newTenant, registerEndpoint, WEBHOOK_TEST_CONFIG } from "../helpers/webhooks.js";

/**
 * Deliveries go in batches (one job claims and sends many deliveries of an endpoint, attempts are
 * recorded many per statement): each event still reaches each endpoint once, signed, with every
 * attempt logged, and only the failed ones of a batch are retried.
 */
let h: Harness;
const receivers: Receiver[] = [];
const CAP = 4;
beforeAll(async () => {
  h = await startHarness({ ...WEBHOOK_TEST_CONFIG, WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT: String(CAP) });
});
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
});
afterAll(async () => h?.close());

async function receiver(reply?: Receiver["reply"]) {
  const started = await Receiver.start();
  if (reply) started.reply = reply;
  receivers.push(started);
  return started;
}

/** Event rows as the core writes them (in one transaction, so one relay round takes them all). */
async function writeEvents(merchantId: string, count: number): Promise<Map<string, string>> {
  const rows = Array.from({ length: count }, () => {
    const id = newId("event");
    const payload = JSON.stringify({ id, object: "event", type: "loyalty.redemption.created", data: { object: { id: "rdm_batch", object: "redemption", version: 1 } }, livemode: false, created: Math.floor(Date.now() / 1000) });
    return { id, merchant_id: merchantId, livemode: false, type: "loyalty.redemption.created", redemption_id: null, version: 1, payload, published_at: null };
  });
  await h.deps.db.insertInto("events").values(rows).execute();
  return new Map(rows.map((row) => [row.id, row.payload]));
}

async function settled(endpointId: string, count: number, timeoutMs = 30_000) {
  const done = await waitFor(async () => {
    const rows = await h.deps.db.selectFrom("webhook_deliveries").select("status").where("endpoint_id", "=", endpointId).execute();
    return rows.length === count && rows.every((row) => row.status !== "pending");
  }, timeoutMs);
  expect(done, `${count} deliveries to ${endpointId} settled`).toBe(true);
}

const attemptsOf = (endpointId: string) =>
  h.deps.db.selectFrom("webhook_attempts").select(["event_id", "attempt", "status_code", "error", "next_attempt_at"]).where("endpoint_id", "=", endpointId).orderBy("seq").execute();

test("many events to one endpoint: each delivered once, signed, byte-identical, one attempt logged each, in few jobs", async () => {
  const tenant = await newTenant(h);
  const rx = await receiver();
  const endpoint = await registerEndpoint(h, tenant.secret_key_test, rx);
  const jobsBefore = (await h.deps.queues.deliveries.getJobs(["completed"], 0, -1)).length;
  const events = await writeEvents(tenant.merchant, 200);
  await settled(endpoint.id, events.size);

  // On the wire: every event once, verified with the endpoint's secret, the stored bytes.
  expect(rx.received).toHaveLength(events.size);
  expect(new Set(rx.received.map((request) => request.headers["webhook-id"])).size).toBe(events.size);
  for (const request of rx.received) {
    expect(request.verifiedWith).toEqual([endpoint.secret]);
    expect(request.body).toBe(events.get(String(request.headers["webhook-id"])));
  }
  // In Postgres: succeeded after one attempt, and that attempt logged (a 200, final).
  const deliveries = await h.deps.db.selectFrom("webhook_deliveries").select(["event_id", "status", "attempts"]).where("endpoint_id", "=", endpoint.id).execute();
  expect(deliveries.every((row) => row.status === "succeeded" && row.attempts === 1)).toBe(true);
  const attempts = await attemptsOf(endpoint.id);
  expect(attempts).toHaveLength(events.size);
  expect(attempts.every((row) => row.attempt === 1 && row.status_code === 200 && row.error === null && row.next_attempt_at === null)).toBe(true);
  // Batched: far fewer jobs than deliveries.
  const jobsAfter = (await h.deps.queues.deliveries.getJobs(["completed"], 0, -1)).length;
  expect(jobsAfter - jobsBefore).toBeLessThan(events.size / 10);
  expect(rx.inFlight).toBe(0);
});

test("a receiver failing some deliveries of a batch: only those are retried, every attempt logged 1..n", async () => {
  const tenant = await newTenant(h);
  const failedOnce = new Set<string>();
  // About every third event (chosen by its id) is refused on its first attempt.
  const rx = await receiver((request) => {
    const id = String(request.headers["webhook-id"]);
    if (createHash("sha1").update(id).digest()[0]! % 3 === 0 && !failedOnce.has(id)) {
      failedOnce.add(id);
      return { status: 500 };
    }
    return { status: 200 };
  });
  const endpoint = await registerEndpoint(h, tenant.secret_key_test, rx);
  const events = await writeEvents(tenant.merchant, 60);
  await settled(endpoint.id, events.size);

  expect(failedOnce.size).toBeGreaterThan(0);
  const requestsPerEvent = new Map<string, number>();
  for (const request of rx.received) {
    const id = String(request.headers["webhook-id"]);
    requestsPerEvent.set(id, (requestsPerEvent.get(id) ?? 0) + 1);
    expect(request.verifiedWith).toEqual([endpoint.secret]);
    expect(request.body).toBe(events.get(id));
  }
  for (const id of events.keys()) expect(requestsPerEvent.get(id), id).toBe(failedOnce.has(id) ? 2 : 1);

  const attempts = await attemptsOf(endpoint.id);
  for (const id of events.keys()) {
    const log = attempts.filter((row) => row.event_id === id).map((row) => [row.attempt, row.status_code, row.error]);
    expect(log, id).toEqual(failedOnce.has(id) ? [[1, 500, "http_status"], [2, 200, null]] : [[1, 200, null]]);
  }
  const deliveries = await h.deps.db.selectFrom("webhook_deliveries").select(["event_id", "status", "attempts"]).where("endpoint_id", "=", endpoint.id).execute();
  for (const row of deliveries) expect(row, row.event_id).toMatchObject({ status: "succeeded", attempts: failedOnce.has(row.event_id) ? 2 : 1 });
  // Attempt counters, logs and statuses agree for every delivery (invariant 7's last check).
  const results = await checkInvariants(h.deps.db, { graceSeconds: 3600 });
  expect(results.filter((result) => result.id === 7).flatMap((result) => result.violations)).toEqual([]);
});

test("a slow endpoint beside fast ones: the fast ones get every event first; the slow one never exceeds its cap", async () => {
  const tenant = await newTenant(h);
  const slow = await receiver(() => ({ status: 200, delayMs: 300 }));
  const fastA = await receiver();
  const fastB = await receiver();
  const slowEndpoint = await registerEndpoint(h, tenant.secret_key_test, slow);
  const endpointA = await registerEndpoint(h, tenant.secret_key_test, fastA);
  const endpointB = await registerEndpoint(h, tenant.secret_key_test, fastB);
  let maxSlowInFlight = 0;
  const sampler = setInterval(() => (maxSlowInFlight = Math.max(maxSlowInFlight, slow.inFlight)), 5);
  const N = 40;
  try {
    const events = await writeEvents(tenant.merchant, N);
    expect(await waitFor(() => fastA.received.length === N && fastB.received.length === N, 20_000)).toBe(true);
    // CAP sends at a time, 300 ms each: N of them take ≥ 3 s; both fast endpoints are already done.
    expect(slow.received.length).toBeLessThan(N);
    await settled(slowEndpoint.id, N);
    for (const [rx, endpoint] of [[slow, slowEndpoint], [fastA, endpointA], [fastB, endpointB]] as const) {
      expect(rx.received).toHaveLength(N);
      expect(new Set(rx.received.map((request) => request.headers["webhook-id"]))).toEqual(new Set(events.keys()));
      expect(rx.received.every((request) => request.verifiedWith.length === 1 && request.verifiedWith[0] === endpoint.secret)).toBe(true);
      expect(await attemptsOf(endpoint.id)).toHaveLength(N);
    }
  } finally {
    clearInterval(sampler);
  }
  expect(maxSlowInFlight).toBeLessThanOrEqual(CAP);
  expect(maxSlowInFlight).toBeGreaterThan(0);
}, 60_000);

test("a job queued before the upgrade (one delivery id, no endpoint) still delivers", async () => {
  const tenant = await newTenant(h);
  const rx = await receiver();
  const endpoint = await registerEndpoint(h, tenant.secret_key_test, rx);
  const events = await writeEvents(tenant.merchant, 1);
  const [eventId] = [...events.keys()];
  // Published already, so no relay round makes a job for it: only the old-shaped job below.
  await h.deps.db.updateTable("events").set({ published_at: new Date() }).where("id", "=", eventId!).execute();
  const deliveryId = newId("delivery");
  await h.deps.db.insertInto("webhook_deliveries").values({ id: deliveryId, event_id: eventId!, endpoint_id: endpoint.id, status: "pending", next_attempt_at: new Date() }).execute();
  const job = await h.deps.queues.deliveries.add("deliver-webhook", { deliveryId }, { jobId: `${deliveryId}-0` });

  await settled(endpoint.id, 1);
  expect(rx.received).toHaveLength(1);
  expect(rx.received[0]!.verifiedWith).toEqual([endpoint.secret]);
  expect(await waitFor(async () => (await job.getState()) === "completed")).toBe(true);
  expect((await h.deps.queues.deliveries.getJob(job.id!))!.returnvalue).toMatchObject({ outcome: "drained", endpoint: endpoint.id, sent: 1 });
});
