import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, test } from "vitest";
import { startHarness, type Harness } from "../helpers/harness.js";
import { Receiver, waitFor } from "../helpers/receiver.js";
import { newTenant, redeem, registerEndpoint, settledDelivery, WEBHOOK_TEST_CONFIG } from "../helpers/webhooks.js";

let h: Harness;
let rx: Receiver;
beforeAll(async () => {
  h = await startHarness(WEBHOOK_TEST_CONFIG);
  rx = await Receiver.start();
});
afterAll(async () => {
  await rx?.close();
  await h?.close();
});

test("POST /v1/webhook-endpoints/:id/recover redelivers every exhausted delivery since a time, once, idempotently, and the receiver verifies them", async () => {
  const tenant = await newTenant(h);
  const key = tenant.secret_key_test;
  let failing = true;
  rx.reply = () => ({ status: failing ? 500 : 200 });
  const endpoint = await registerEndpoint(h, key, rx);
  const since = Math.floor(Date.now() / 1000) - 5;
  const created = [await redeem(h, key), await redeem(h, key)];
  for (const { event } of created) expect((await settledDelivery(h, event, endpoint.id)).status).toBe("failed");
  const failedAttempts = rx.received.length;
  expect(failedAttempts).toBe(2 * 4); // first attempt + three retries each

  failing = false;
  const idempotencyKey = randomUUID();
  const res = await h.api("POST", `/v1/webhook-endpoints/${endpoint.id}/recover`, { key, body: { since }, idempotencyKey });
  expect(res.status, res.text).toBe(200);
  expect(res.body).toMatchObject({ object: "webhook_recovery", endpoint: endpoint.id, since, count: 2, has_more: false });
  expect([...res.body.events].sort()).toEqual(created.map((c) => c.event).sort());

  const rows = await h.deps.db.selectFrom("webhook_deliveries").selectAll().where("id", "in", res.body.deliveries).execute();
  expect(rows.map((row) => [row.endpoint_id, row.redelivery])).toEqual([[endpoint.id, true], [endpoint.id, true]]);
  expect(await waitFor(() => rx.received.length === failedAttempts + 2)).toBe(true);
  const recovered = rx.received.slice(failedAttempts);
  for (const delivery of recovered) expect(delivery.verifiedWith).toEqual([endpoint.secret]);
  expect(recovered.map((r) => r.headers["webhook-id"]).sort()).toEqual(created.map((c) => c.event).sort());
  expect(await waitFor(async () => (await h.deps.db.selectFrom("webhook_deliveries").select("status").where("id", "in", res.body.deliveries).execute()).every((r) => r.status === "succeeded"))).toBe(true);

  // Same key: the same answer, nothing new. A new key: the events were delivered since, so nothing to recover.
  const replay = await h.api("POST", `/v1/webhook-endpoints/${endpoint.id}/recover`, { key, body: { since }, idempotencyKey });
  expect(replay.headers.get("idempotent-replayed")).toBe("true");
  expect(replay.body).toEqual(res.body);
  const again = await h.api("POST", `/v1/webhook-endpoints/${endpoint.id}/recover`, { key, body: { since } });
  expect(again.body).toMatchObject({ count: 0, deliveries: [] });
  const total = await h.deps.db.selectFrom("webhook_deliveries").select((eb) => eb.fn.countAll<string>().as("n")).where("endpoint_id", "=", endpoint.id).executeTakeFirstOrThrow();
  expect(Number(total.n)).toBe(4);
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(rx.received.length).toBe(failedAttempts + 2);
});

test("recover: a later `since` excludes older failures; another merchant's or mode's endpoint is 404; bad bodies are 400", async () => {
  const tenant = await newTenant(h);
  const key = tenant.secret_key_test;
  rx.reply = () => ({ status: 500 });
  const endpoint = await registerEndpoint(h, key, rx);
  const { event } = await redeem(h, key);
  expect((await settledDelivery(h, event, endpoint.id)).status).toBe("failed");
  const future = Math.floor(Date.now() / 1000) + 60;
  const later = await h.api("POST", `/v1/webhook-endpoints/${endpoint.id}/recover`, { key, body: { since: future } });
  expect(later.status).toBe(200);
  expect(later.body.count).toBe(0);

  const other = await newTenant(h);
  const foreign = await h.api("POST", `/v1/webhook-endpoints/${endpoint.id}/recover`, { key: other.secret_key_test, body: { since: 0 } });
  expect(foreign.status).toBe(404);
  const liveMode = await h.api("POST", `/v1/webhook-endpoints/${endpoint.id}/recover`, { key: tenant.secret_key_live, body: { since: 0 } });
  expect(liveMode.status).toBe(404);
  expect((await h.api("POST", `/v1/webhook-endpoints/${endpoint.id}/recover`, { key, body: { since: "yesterday" } })).status).toBe(400);
  expect((await h.api("POST", `/v1/webhook-endpoints/${endpoint.id}/recover`, { key, body: {} })).status).toBe(400);
  const count = await h.deps.db.selectFrom("webhook_deliveries").select("id").where("endpoint_id", "=", endpoint.id).execute();
  expect(count).toHaveLength(1);
  rx.reply = () => ({ status: 200 });
});
