import { afterAll, beforeAll, expect, test } from "vitest";
import { OutcomeWaiter } from "../../src/http/outcomes.js";
import { announceOutcomes, outcomeChannel } from "../../src/queue/outcome-notices.js";
import { createRedis, type RedisClient } from "../../src/queue/redis.js";
import { Subscriptions } from "../../src/queue/subscriptions.js";
import { startHarness, type Harness } from "../helpers/harness.js";
import { redeem } from "../helpers/lifecycle.js";

let h: Harness;
let listener: RedisClient;
const heard: string[] = [];

beforeAll(async () => {
  h = await startHarness();
  listener = createRedis(h.deps.config, "subscriber");
  listener.on("message", (_channel: string, message: string) => heard.push(message));
  await listener.subscribe(outcomeChannel(h.deps.config.QUEUE_PREFIX));
});
afterAll(async () => {
  listener?.disconnect();
  await h?.close();
});

test("the worker announces a committed request by its id on the channel, and nothing else about it", async () => {
  const created = await redeem(h, "discount_amount");
  const { idempotency_id } = await h.deps.db.selectFrom("redemptions").select("idempotency_id").where("id", "=", created.id).executeTakeFirstOrThrow();
  // The announcement went out before the web answered (the web was woken by it), so it is here.
  await expect.poll(() => heard.flatMap((message) => message.split(",")), { timeout: 5_000 }).toContain(idempotency_id);
  // Request ids only: no response body, no code, no account goes through Redis.
  for (const message of heard) expect(message).toMatch(/^[A-Za-z0-9_]+(,[A-Za-z0-9_]+)*$/);
  expect(heard.join()).not.toContain(created.discount!.code);
});

test("a waiting handler is woken by the notice naming its request, among others, not by its timer", async () => {
  const subscriptions = new Subscriptions(h.deps.config);
  const waiter = new OutcomeWaiter(subscriptions, h.deps.config.QUEUE_PREFIX);
  try {
    await waiter.waitUntilReady();
    let woken = false;
    // A minute-long wait: only the notice can end it within the test's timeout.
    const waiting = waiter.wait("idem_target", 60_000).then(() => (woken = true));
    announceOutcomes(h.deps.redis, h.deps.config.QUEUE_PREFIX, ["idem_other"]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(woken, "a notice for another request leaves it waiting").toBe(false);
    announceOutcomes(h.deps.redis, h.deps.config.QUEUE_PREFIX, ["idem_first", "idem_target"]);
    await waiting;
    expect(woken).toBe(true);
  } finally {
    subscriptions.close();
  }
}, 10_000);
