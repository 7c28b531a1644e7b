import { afterAll, afterEach, beforeAll, expect, test } from "vitest";
import { startHarness, type Harness } from "../helpers/harness.js";
import { Receiver, waitFor } from "../helpers/receiver.js";
import { deliveryRow, newTenant, redeem, registerEndpoint, settledDelivery, waitPublished, WEBHOOK_TEST_CONFIG } from "../helpers/webhooks.js";

let h: Harness;
const receivers: Receiver[] = [];
beforeAll(async () => {
  h = await startHarness(WEBHOOK_TEST_CONFIG);
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

async function attempts(key: string, endpointId: string, eventId: string) {
  const res = await h.api("GET", `/v1/webhook-endpoints/${endpointId}/attempts?event=${eventId}`, { key });
  expect(res.status).toBe(200);
  return (res.body.data as Record<string, any>[]).reverse();
}

test("retries after failures, then succeeds: same webhook-id, byte-identical signed body, every attempt logged", async () => {
  const tenant = await newTenant(h);
  const key = tenant.secret_key_test;
  const rx = await receiver((_, index) => ({ status: index < 2 ? 500 : 200 }));
  const endpoint = await registerEndpoint(h, key, rx);
  const { event } = await redeem(h, key);

  const delivery = await settledDelivery(h, event, endpoint.id);
  expect(delivery.status).toBe("succeeded");
  expect(delivery.attempts).toBe(3);
  const stored = await h.api("GET", `/v1/events/${event}`, { key });
  expect(rx.received).toHaveLength(3);
  for (const request of rx.received) {
    expect(request.body).toBe(stored.text);
    expect(request.headers["webhook-id"]).toBe(event);
    expect(request.verifiedWith).toEqual([endpoint.secret]);
  }
  const log = await attempts(key, endpoint.id, event);
  expect(log.map((attempt) => [attempt.attempt, attempt.status_code, attempt.error])).toEqual([
    [1, 500, "http_status"],
    [2, 500, "http_status"],
    [3, 200, null],
  ]);
  expect(log[0]!.id).toMatch(/^whatt_/);
  expect(log[0]!.object).toBe("webhook_attempt");
  expect(log[0]!.next_attempt_at).not.toBeNull();
  expect(log[2]!.next_attempt_at).toBeNull();
});

test("exhaustion: 1 + len(schedule) attempts, all logged, then failed for good", async () => {
  const tenant = await newTenant(h);
  const key = tenant.secret_key_test;
  const rx = await receiver(() => ({ status: 500 }));
  const endpoint = await registerEndpoint(h, key, rx);
  const { event } = await redeem(h, key);

  const delivery = await settledDelivery(h, event, endpoint.id);
  expect(delivery.status).toBe("failed");
  expect(delivery.attempts).toBe(4);
  const log = await attempts(key, endpoint.id, event);
  expect(log.map((attempt) => attempt.attempt)).toEqual([1, 2, 3, 4]);
  expect(log.every((attempt) => attempt.status_code === 500 && attempt.error === "http_status")).toBe(true);
  expect(log[3]!.next_attempt_at).toBeNull();
  expect(rx.received).toHaveLength(4);
  // The endpoint itself stays enabled: only a 410 disables it.
  expect((await h.api("GET", `/v1/webhook-endpoints/${endpoint.id}`, { key })).body.status).toBe("enabled");
});

test("410 disables the endpoint at once; later events are not delivered to it", async () => {
  const tenant = await newTenant(h);
  const key = tenant.secret_key_test;
  const rx = await receiver(() => ({ status: 410 }));
  const endpoint = await registerEndpoint(h, key, rx);
  const first = await redeem(h, key);

  const delivery = await settledDelivery(h, first.event, endpoint.id);
  expect(delivery).toMatchObject({ status: "failed", attempts: 1 });
  expect((await h.api("GET", `/v1/webhook-endpoints/${endpoint.id}`, { key })).body.status).toBe("disabled");

  const second = await redeem(h, key);
  await waitPublished(h, second.event);
  expect(await deliveryRow(h, second.event, endpoint.id)).toEqual([]);
  expect(rx.received).toHaveLength(1);
});

test("429 with Retry-After is honoured: the next attempt waits at least that long", async () => {
  const tenant = await newTenant(h);
  const key = tenant.secret_key_test;
  const rx = await receiver((_, index) => (index === 0 ? { status: 429, headers: { "retry-after": "1" } } : { status: 200 }));
  const endpoint = await registerEndpoint(h, key, rx);
  const { event } = await redeem(h, key);

  const delivery = await settledDelivery(h, event, endpoint.id);
  expect(delivery).toMatchObject({ status: "succeeded", attempts: 2 });
  // The schedule alone would retry after ~100 ms.
  expect(rx.received[1]!.at - rx.received[0]!.at).toBeGreaterThanOrEqual(950);
  const log = await attempts(key, endpoint.id, event);
  expect(log[0]).toMatchObject({ status_code: 429, error: "http_status" });
});

test("a 302 is a failed attempt and is not followed", async () => {
  const tenant = await newTenant(h);
  const key = tenant.secret_key_test;
  const target = await receiver();
  const rx = await receiver(() => ({ status: 302, headers: { location: target.url() } }));
  const endpoint = await registerEndpoint(h, key, rx);
  const { event } = await redeem(h, key);

  const delivery = await settledDelivery(h, event, endpoint.id);
  expect(delivery.status).toBe("failed");
  expect(rx.received).toHaveLength(4);
  expect(target.received).toHaveLength(0);
  const log = await attempts(key, endpoint.id, event);
  expect(log.every((attempt) => attempt.status_code === 302 && attempt.error === "http_status")).toBe(true);
});

test("redeliver sends the same bytes and webhook-id again, to all subscribed endpoints or to the one named", async () => {
  const tenant = await newTenant(h);
  const key = tenant.secret_key_test;
  const a = await receiver();
  const b = await receiver();
  const endpointA = await registerEndpoint(h, key, a);
  const endpointB = await registerEndpoint(h, key, b);
  const { event } = await redeem(h, key);
  await settledDelivery(h, event, endpointA.id);
  await settledDelivery(h, event, endpointB.id);

  const all = await h.api("POST", `/v1/events/${event}/redeliver`, { key });
  expect(all.status, all.text).toBe(200);
  expect(all.body.endpoints.sort()).toEqual([endpointA.id, endpointB.id].sort());
  expect(await waitFor(() => a.received.length === 2 && b.received.length === 2)).toBe(true);

  const one = await h.api("POST", `/v1/events/${event}/redeliver`, { key, body: { endpoint: endpointA.id } });
  expect(one.status, one.text).toBe(200);
  expect(one.body.endpoints).toEqual([endpointA.id]);
  expect(await waitFor(() => a.received.length === 3)).toBe(true);
  expect(new Set(a.received.map((request) => request.body)).size).toBe(1);
  expect(a.received.every((request) => request.headers["webhook-id"] === event && request.verifiedWith.length === 1)).toBe(true);
  expect(b.received).toHaveLength(2);

  // Another merchant's endpoint, or event, is unknown here.
  const other = await newTenant(h);
  const foreign = await h.api("POST", `/v1/events/${event}/redeliver`, { key: other.secret_key_test });
  expect(foreign.status).toBe(404);
  const foreignEndpoint = await h.api("POST", `/v1/events/${event}/redeliver`, { key: tenant.secret_key_live, body: { endpoint: endpointA.id } });
  expect(foreignEndpoint.status).toBe(404);
});

test("rotation: during the overlap both secrets sign, and each verifies on its own", async () => {
  const tenant = await newTenant(h);
  const key = tenant.secret_key_test;
  const rx = await receiver();
  const endpoint = await registerEndpoint(h, key, rx);
  const rotated = await h.api("POST", `/v1/webhook-endpoints/${endpoint.id}/rotate-secret`, { key });
  expect(rotated.status, rotated.text).toBe(200);
  expect(rotated.body.secret).toMatch(/^whsec_/);
  expect(rotated.body.secret).not.toBe(endpoint.secret);
  rx.secrets.push(rotated.body.secret);
  const { event } = await redeem(h, key);

  await settledDelivery(h, event, endpoint.id);
  expect(rx.received).toHaveLength(1);
  expect(rx.received[0]!.verifiedWith.sort()).toEqual([endpoint.secret, rotated.body.secret].sort());
  expect(String(rx.received[0]!.headers["webhook-signature"]).split(" ")).toHaveLength(2);

  // Once the overlap has passed, only the new secret signs.
  await h.deps.db.updateTable("webhook_endpoint_secrets").set({ expires_at: new Date(Date.now() - 1000) }).where("endpoint_id", "=", endpoint.id).where("expires_at", "is not", null).execute();
  const later = await redeem(h, key);
  await settledDelivery(h, later.event, endpoint.id);
  expect(rx.received[1]!.verifiedWith).toEqual([rotated.body.secret]);
});

test("event-type filtering and disabled endpoints: only subscribed, enabled endpoints get deliveries", async () => {
  const tenant = await newTenant(h);
  const key = tenant.secret_key_test;
  const all = await receiver();
  const appliedOnly = await receiver();
  const disabled = await receiver();
  const endpointAll = await registerEndpoint(h, key, all);
  const endpointApplied = await registerEndpoint(h, key, appliedOnly, { enabled_events: ["loyalty.redemption.applied"] });
  const endpointCreated = await registerEndpoint(h, key, disabled, { enabled_events: ["loyalty.redemption.created"] });
  const patched = await h.api("PATCH", `/v1/webhook-endpoints/${endpointCreated.id}`, { key, body: { status: "disabled" } });
  expect(patched.body.status).toBe("disabled");
  const { event } = await redeem(h, key);

  await settledDelivery(h, event, endpointAll.id);
  await waitPublished(h, event);
  expect(await deliveryRow(h, event, endpointApplied.id)).toEqual([]);
  expect(await deliveryRow(h, event, endpointCreated.id)).toEqual([]);
  expect(all.received).toHaveLength(1);
  expect(appliedOnly.received).toHaveLength(0);
  expect(disabled.received).toHaveLength(0);
});

test("events of one merchant and mode never reach another's endpoints", async () => {
  const tenant = await newTenant(h);
  const other = await newTenant(h);
  const mine = await receiver();
  const theirs = await receiver();
  const live = await receiver();
  const endpoint = await registerEndpoint(h, tenant.secret_key_test, mine);
  const foreign = await registerEndpoint(h, other.secret_key_test, theirs);
  const liveEndpoint = await registerEndpoint(h, tenant.secret_key_live, live);
  const { event } = await redeem(h, tenant.secret_key_test);

  await settledDelivery(h, event, endpoint.id);
  expect(await deliveryRow(h, event, foreign.id)).toEqual([]);
  expect(await deliveryRow(h, event, liveEndpoint.id)).toEqual([]);
  expect(theirs.received).toHaveLength(0);
  expect(live.received).toHaveLength(0);
});
