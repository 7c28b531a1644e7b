import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, expect, test } from "vitest";
import { createAccount, createReward, SHIPPING } from "../helpers/factories.js";
import { REDIS_URL, startHarness, type Harness } from "../helpers/harness.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.close());

/** Every key under the harness's queue prefix with everything it holds, as one string per key. */
async function dumpQueueKeys(prefix: string): Promise<Map<string, string>> {
  const redis = new Redis(REDIS_URL);
  const dump = new Map<string, string>();
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
      cursor = next;
      for (const key of keys) {
        const type = await redis.type(key);
        const value =
          type === "string" ? await redis.get(key)
          : type === "hash" ? JSON.stringify(await redis.hgetall(key))
          : type === "list" ? JSON.stringify(await redis.lrange(key, 0, -1))
          : type === "set" ? JSON.stringify(await redis.smembers(key))
          : type === "zset" ? JSON.stringify(await redis.zrange(key, 0, -1))
          : type === "stream" ? JSON.stringify(await redis.xrange(key, "-", "+"))
          : "";
        dump.set(key, value ?? "");
      }
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
  return dump;
}

test("after redemptions with shipping, no job's data, return value or event in Redis holds the address or name", async () => {
  const account = await createAccount(h, 5000);
  const reward = await createReward(h, "free_product");
  for (let i = 0; i < 3; i++) {
    const created = await h.api("POST", "/v1/loyalty/redemptions", { body: { account: account.id, reward: reward.id, shipping: SHIPPING }, idempotencyKey: randomUUID() });
    expect(created.status).toBe(201);
    expect(created.body.shipping ?? created.body.fulfillment).toBeTruthy(); // the answer itself does carry them
  }
  const dump = await dumpQueueKeys(h.config.QUEUE_PREFIX);
  expect(dump.size).toBeGreaterThan(0);
  const completed = [...dump.entries()].filter(([key, value]) => key.includes("{requests}") && value.includes("returnvalue"));
  expect(completed.length, "completed request jobs are kept (their return value is what is checked)").toBeGreaterThan(0);
  for (const [key, value] of dump) {
    for (const secret of [SHIPPING.name, SHIPPING.line1, SHIPPING.postal_code]) {
      expect(value.includes(secret), `${key} holds "${secret}"`).toBe(false);
    }
  }
});
