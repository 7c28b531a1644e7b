import { afterAll, beforeAll, expect, test } from "vitest";
import { startHarness, type Harness } from "../helpers/harness.js";
import { Receiver, waitFor } from "../helpers/receiver.js";
import { newTenant, redeem, registerEndpoint, WEBHOOK_TEST_CONFIG } from "../helpers/webhooks.js";

let h: Harness;
let slow: Receiver;
let fast: Receiver;
beforeAll(async () => {
  // A pool of 4 delivery slots: without the per-endpoint cap, the slow endpoint alone would fill it.
  h = await startHarness({ ...WEBHOOK_TEST_CONFIG, WEBHOOK_DELIVERY_CONCURRENCY: "4", WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT: "2" });
  slow = await Receiver.start();
  fast = await Receiver.start();
  slow.reply = () => ({ status: 200, delayMs: 2_000 });
});
afterAll(async () => {
  await Promise.all([slow?.close(), fast?.close()]);
  await h?.close();
});

test("a receiver that takes 2 s does not hold up a fast one", async () => {
  const tenant = await newTenant(h);
  const key = tenant.secret_key_test;
  await registerEndpoint(h, key, slow);
  await registerEndpoint(h, key, fast);
  const N = 8;
  let maxSlowInFlight = 0;
  const sampler = setInterval(() => (maxSlowInFlight = Math.max(maxSlowInFlight, slow.inFlight)), 10);
  try {
    for (let i = 0; i < N; i++) await redeem(h, key);
    expect(await waitFor(() => fast.received.length === N, 20_000)).toBe(true);
    // At most 2 slow sends at a time, 2 s each: 8 of them take ≥ 8 s; the fast endpoint is already done.
    expect(slow.received.length).toBeLessThan(N);
    expect(await waitFor(() => slow.received.length === N, 40_000)).toBe(true);
  } finally {
    clearInterval(sampler);
  }
  expect(maxSlowInFlight).toBeLessThanOrEqual(2);
  expect(maxSlowInFlight).toBeGreaterThan(0);
}, 90_000);
