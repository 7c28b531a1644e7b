import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, expect, test } from "vitest";
import { loadConfig } from "../../src/config.js";
import { withDeadline } from "../../src/deadline.js";
import { apiKeyChannel } from "../../src/domain/merchants/api-keys.js";
import { buildAppDeps, closeAppDeps } from "../../src/http/deps.js";
import { outcomeChannel } from "../../src/queue/outcome-notices.js";
import { Subscriptions } from "../../src/queue/subscriptions.js";
import { createTestEnvironment, destroyTestEnvironment } from "../helpers/harness.js";
import { startPrivateRedis, type PrivateRedis } from "../chaos/lib/private-services.js";

// A Redis of this file's own: the test restarts it.
let redis: PrivateRedis;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "lr-subscriptions-"));
  redis = await startPrivateRedis(dir);
});
afterAll(() => {
  redis?.teardown();
  rmSync(dir, { recursive: true, force: true });
});

test("one connection carries every channel; a restart of Redis tells each listener it may have missed messages, then they flow again", async () => {
  const subscriptions = new Subscriptions({ REDIS_URL: redis.url, REDIS_CLUSTER_NODES: undefined });
  const publisher = new Redis(redis.url, { maxRetriesPerRequest: 1, retryStrategy: () => 100 });
  publisher.on("error", () => {}); // refused while the test restarts Redis
  try {
    const heard: string[] = [];
    const missed = { keys: 0, outcomes: 0 };
    await subscriptions.listen("lr:keys", (message) => heard.push(`keys:${message}`), () => missed.keys++);
    await subscriptions.listen("lr:requests:done", (message) => heard.push(`outcomes:${message}`), () => missed.outcomes++);
    expect(() => subscriptions.listen("lr:keys", () => {}, () => {})).toThrow(/already listening/);

    const pubsubClients = async () => ((await publisher.call("CLIENT", "LIST", "TYPE", "pubsub")) as string).trim().split("\n").filter(Boolean);
    expect(await pubsubClients()).toHaveLength(1);
    await publisher.publish("lr:keys", "hash_1");
    await publisher.publish("lr:requests:done", "idem_1,idem_2");
    await publisher.publish("lr:other", "not ours");
    await expect.poll(() => heard, { timeout: 2_000 }).toEqual(["keys:hash_1", "outcomes:idem_1,idem_2"]);
    const missedBefore = { ...missed };

    await redis.stop();
    await redis.start();
    // ioredis reconnects and resubscribes both channels on its one connection; each listener hears of the gap.
    await expect.poll(() => missed, { timeout: 10_000 }).toEqual({ keys: missedBefore.keys + 1, outcomes: missedBefore.outcomes + 1 });
    await expect.poll(async () => (await publisher.call("PUBSUB", "NUMSUB", "lr:keys", "lr:requests:done")) as unknown[], { timeout: 10_000 }).toEqual(["lr:keys", 1, "lr:requests:done", 1]);
    expect(await pubsubClients()).toHaveLength(1);
    await publisher.publish("lr:requests:done", "idem_3");
    await expect.poll(() => heard.at(-1), { timeout: 2_000 }).toBe("outcomes:idem_3");
  } finally {
    subscriptions.close();
    publisher.disconnect();
  }
}, 30_000);

test("a web process listens on one pub/sub connection: key changes and outcome notices both", async () => {
  const environment = await createTestEnvironment();
  const config = loadConfig({ DATABASE_URL: environment.databaseUrl, REDIS_URL: redis.url, QUEUE_PREFIX: environment.queuePrefix, LOG_LEVEL: "silent" });
  const deps = buildAppDeps(config);
  const observer = new Redis(redis.url);
  try {
    const channels = [apiKeyChannel(config.QUEUE_PREFIX), outcomeChannel(config.QUEUE_PREFIX)];
    await expect.poll(async () => (await observer.call("PUBSUB", "NUMSUB", ...channels)) as unknown[], { timeout: 5_000 }).toEqual([channels[0], 1, channels[1], 1]);
    const pubsub = ((await observer.call("CLIENT", "LIST", "TYPE", "pubsub")) as string).trim().split("\n").filter(Boolean);
    expect(pubsub).toHaveLength(1);
  } finally {
    observer.disconnect();
    await withDeadline(closeAppDeps(deps), 5_000, "close").catch(() => {});
    await destroyTestEnvironment(environment);
  }
}, 30_000);
