import { afterAll, beforeAll, expect, test } from "vitest";
import { runSweepsOnce } from "../../jobs/sweepers.js";
import { startHarness, type Harness } from "../helpers/harness.js";
import { Receiver, waitFor } from "../helpers/receiver.js";
import { newTenant, redeem, registerEndpoint, WEBHOOK_TEST_CONFIG } from "../helpers/webhooks.js";

let h: Harness;
let rx: Receiver;
beforeAll(async () => {
  // The relay loop practically never runs here: only the sweeper turns events into deliveries.
  h = await startHarness({ ...WEBHOOK_TEST_CONFIG, WEBHOOK_RELAY_INTERVAL_MS: "3600000" });
  rx = await Receiver.start();
});
afterAll(async () => {
  await rx?.close();
  await h?.close();
});

test("Redis flushed after the relay enqueued: the sweeper re-drives from Postgres and every delivery completes", async () => {
  const tenant = await newTenant(h);
  const key = tenant.secret_key_test;
  const endpoint = await registerEndpoint(h, key, rx);
  const events = [await redeem(h, key), await redeem(h, key), await redeem(h, key)].map((created) => created.event);

  // Relay with no worker running, so the delivery jobs sit in Redis; then lose Redis.
  await h.stopWorkers();
  const relayed = await runSweepsOnce(h.workerDeps);
  expect(relayed.unpublishedEvents).toBe(3);
  await h.flushQueues();
  h.startWorkers();
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(rx.received).toHaveLength(0);
  const pending = await h.deps.db.selectFrom("webhook_deliveries").select("status").where("endpoint_id", "=", endpoint.id).execute();
  expect(pending.map((row) => row.status)).toEqual(["pending", "pending", "pending"]);

  const swept = await runSweepsOnce(h.workerDeps);
  expect(swept.dueDeliveries).toBe(3);
  expect(await waitFor(() => rx.received.length === 3)).toBe(true);
  expect(rx.received.map((request) => request.headers["webhook-id"]).sort()).toEqual([...events].sort());
  expect(await waitFor(async () => {
    const rows = await h.deps.db.selectFrom("webhook_deliveries").select("status").where("endpoint_id", "=", endpoint.id).execute();
    return rows.every((row) => row.status === "succeeded");
  })).toBe(true);
});

test("Redis flushed between retries: the scheduled retry is re-driven once due, and a succeeded delivery is never resent", async () => {
  const tenant = await newTenant(h);
  const key = tenant.secret_key_test;
  const flaky = await Receiver.start();
  try {
    // Retry-After pushes the retry an hour out, as a production schedule would.
    flaky.reply = (_, index) => (index === 0 ? { status: 503, headers: { "retry-after": "3600" } } : { status: 200 });
    const endpoint = await registerEndpoint(h, key, flaky);
    const { event } = await redeem(h, key);
    // Lose the retry's delayed job, then let the hour pass (in the database).
    await runSweepsOnce(h.workerDeps);
    expect(await waitFor(() => flaky.received.length === 1)).toBe(true);
    expect(await waitFor(async () => (await h.deps.db.selectFrom("webhook_attempts").select("id").where("event_id", "=", event).execute()).length === 1)).toBe(true);
    await h.flushQueues();
    await h.deps.db.updateTable("webhook_deliveries").set({ next_attempt_at: new Date(Date.now() - 10) }).where("endpoint_id", "=", endpoint.id).execute();

    await runSweepsOnce(h.workerDeps);
    expect(await waitFor(() => flaky.received.length === 2)).toBe(true);
    expect(await waitFor(async () => (await h.deps.db.selectFrom("webhook_deliveries").select("status").where("endpoint_id", "=", endpoint.id).executeTakeFirstOrThrow()).status === "succeeded")).toBe(true);

    // Re-drives after success (another sweep, a stray duplicate job) send nothing.
    await runSweepsOnce(h.workerDeps);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(flaky.received).toHaveLength(2);
  } finally {
    await flaky.close();
  }
});
