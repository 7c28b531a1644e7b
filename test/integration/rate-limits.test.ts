import { serve } from "@hono/node-server";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { once } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import type { AddressInfo, Server, Socket } from "node:net";
import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { loadConfig } from "../../src/config.js";
import { withDeadline } from "../../src/deadline.js";
import { createMerchant } from "../../src/domain/merchants/merchants.js";
import { createApp } from "../../src/http/app.js";
import { buildAppDeps, closeAppDeps } from "../../src/http/deps.js";
import { Limiter } from "../../src/http/rate-limits.js";
import { admitInRedis, bucketShape } from "../../src/http/token-bucket.js";
import type { Logger } from "../../src/logger.js";
import { REDIS_COMMAND_TIMEOUT_MS } from "../../src/queue/redis.js";
import { startPrivateRedis } from "../chaos/lib/private-services.js";
import { createTestEnvironment, destroyTestEnvironment, startHarness, type Harness } from "../helpers/harness.js";

const LIMITED = { RATE_LIMIT_PER_SECOND: "5", RATE_LIMIT_BURST: "5", RATE_LIMIT_AUTH_FAILURES_PER_SECOND: "1", RATE_LIMIT_INBOUND_PER_SECOND: "4" };

let h: Harness;
beforeAll(async () => {
  h = await startHarness(LIMITED, { workers: false });
});
afterAll(async () => h?.close());

/**
 * Requests a bucket of `burst` refilled at `perSecond` may admit from requests sent together that took
 * `elapsedMs` to be answered: the burst, and what refilled meanwhile (a loaded machine spreads them).
 */
const admittable = (burst: number, perSecond: number, elapsedMs: number) => burst + Math.floor((elapsedMs / 1000) * perSecond);

/** Runs the requests together; their results and how long they took. */
async function together<T>(count: number, send: (i: number) => Promise<T>): Promise<{ results: T[]; elapsedMs: number }> {
  const started = performance.now();
  const results = await Promise.all(Array.from({ length: count }, (_, i) => send(i)));
  return { results, elapsedMs: performance.now() - started };
}

const list = (key: string | null, headers: Record<string, string> = {}) => h.api("GET", "/v1/loyalty/accounts", { key, headers });

describe("rate limits per API key", () => {
  test("a flood from one key gets 429 with the headers; another merchant's requests in the same second all succeed", async () => {
    const other = await createMerchant(h.deps.db, "Other merchant");
    const [{ results: flood, elapsedMs }, { results: calm }] = await Promise.all([
      together(20, () => list(h.merchant.secret_key_test)),
      together(5, () => list(other.secret_key_test)),
    ]);
    const ok = flood.filter((res) => res.status === 200);
    const limited = flood.filter((res) => res.status === 429);
    expect(ok.length).toBeGreaterThanOrEqual(5);
    expect(ok.length).toBeLessThanOrEqual(admittable(5, 5, elapsedMs));
    expect(ok.length + limited.length).toBe(20);
    for (const res of ok) {
      expect(res.headers.get("ratelimit-limit")).toBe("5");
      expect(Number(res.headers.get("ratelimit-remaining"))).toBeGreaterThanOrEqual(0);
      expect(Number(res.headers.get("ratelimit-reset"))).toBeGreaterThanOrEqual(1);
    }
    const refused = limited[0]!;
    expect(refused.body.error).toMatchObject({ type: "rate_limit_error", code: "rate_limited" });
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(refused.headers.get("ratelimit-limit")).toBe("5");
    expect(refused.headers.get("ratelimit-remaining")).toBe("0");
    // Retry-After: until one more request is admitted; RateLimit-Reset: until the whole burst is back.
    expect(Number(refused.headers.get("ratelimit-reset"))).toBeGreaterThanOrEqual(Number(refused.headers.get("retry-after")));
    expect(calm.map((res) => res.status)).toEqual([200, 200, 200, 200, 200]);

    const metrics = (await h.api("GET", "/metrics", { key: null })).text;
    const counted = /rate_limited_requests_total\{limiter="api_key"\} (\d+)/.exec(metrics);
    expect(Number(counted?.[1])).toBeGreaterThanOrEqual(limited.length);
  });

  test("two app instances on the same Redis prefix share one budget", async () => {
    const tenant = await createMerchant(h.deps.db, "Shared budget");
    const secondDeps = buildAppDeps(h.config);
    const second = createApp(secondDeps);
    try {
      // Until its connection is ready a process counts in memory on its own (the documented fallback).
      if (secondDeps.redis.status !== "ready") await once(secondDeps.redis, "ready");
      const call = (app: typeof second) =>
        Promise.resolve(app.request("/v1/loyalty/accounts", { headers: { authorization: `Bearer ${tenant.secret_key_test}` } })).then((res) => res.status);
      const { results: statuses, elapsedMs } = await together(10, (i) => call(i % 2 ? second : h.app));
      const ok = statuses.filter((status) => status === 200).length;
      expect(ok).toBeGreaterThanOrEqual(5);
      expect(ok).toBeLessThanOrEqual(admittable(5, 5, elapsedMs));
      expect(statuses.filter((status) => status === 429).length).toBe(10 - ok);
    } finally {
      await closeAppDeps(secondDeps);
    }
  });

  test("RATE_LIMIT_PER_SECOND=0 turns the limit (and its headers) off", async () => {
    const off = await startHarness({ RATE_LIMIT_PER_SECOND: "0" }, { workers: false });
    try {
      const statuses = await Promise.all(Array.from({ length: 30 }, () => off.api("GET", "/v1/loyalty/accounts")));
      expect(statuses.every((res) => res.status === 200)).toBe(true);
      expect(statuses[0]!.headers.get("ratelimit-limit")).toBeNull();
    } finally {
      await off.close();
    }
  });
});

describe("token buckets in Redis (the shared store)", () => {
  test("a burst at once, then refusals with Retry-After until one interval has passed; the key expires once its bucket is full", async () => {
    const key = `${h.config.QUEUE_PREFIX}:bucket:test:${randomUUID()}`;
    const shape = bucketShape(3, 3); // 3 at once, then one every 333 ms
    const burst = [];
    for (let i = 0; i < 4; i++) burst.push(await admitInRedis(h.deps.redis, key, shape));
    expect(burst.map((a) => [a.allowed, a.remaining])).toEqual([[true, 2], [true, 1], [true, 0], [false, 0]]);
    expect(burst[3]!.retryAfterUs).toBeGreaterThan(0);
    expect(burst[3]!.retryAfterUs).toBeLessThanOrEqual(333_334);
    expect(burst[3]!.untilFullUs).toBeLessThanOrEqual(1_000_000);
    const ttl = await h.deps.redis.pttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(1_001);
    await sleep(burst[3]!.retryAfterUs / 1000 + 5);
    expect(await admitInRedis(h.deps.redis, key, shape)).toMatchObject({ allowed: true, remaining: 0 });
    await sleep(1_050);
    expect(await h.deps.redis.exists(key)).toBe(0);
  });

  test("a key flooding back to back is admitted evenly once its burst is spent, never a second's allowance at once", async () => {
    const key = `${h.config.QUEUE_PREFIX}:bucket:test:${randomUUID()}`;
    const shape = bucketShape(20, 20); // 20 at once, then one every 50 ms
    const admissions: { at: number; stalledMs: number }[] = [];
    let refused = false;
    // Time this loop did not get to run (a GC pause, a busy CI machine): tokens refill meanwhile and
    // may then come out back to back, which is the bucket working, not a burst.
    let stalledMs = 0;
    const started = performance.now();
    let last = started;
    while (performance.now() - started < 1_300) {
      const admission = await admitInRedis(h.deps.redis, key, shape);
      const now = performance.now();
      stalledMs += Math.max(0, now - last - 5);
      last = now;
      if (!admission.allowed) refused = true;
      else if (refused) admissions.push({ at: now, stalledMs });
    }
    expect(admissions.length).toBeGreaterThanOrEqual(10);
    // A one-second window would let its next 20 through together at the boundary. Here any ten
    // admissions span nine intervals (450 ms), less what a delayed reply can shift, less the stalls.
    for (let i = 0; i + 9 < admissions.length; i++) {
      const [first, tenth] = [admissions[i]!, admissions[i + 9]!];
      expect(tenth.at - first.at + (tenth.stalledMs - first.stalledMs)).toBeGreaterThan(400);
    }
  });

  test("Redis refusing the script (a key of the wrong type): the request is limited in memory, and it is logged once, not per request", async () => {
    const logged: unknown[] = [];
    const logger = { error: (fields: unknown) => logged.push(fields) } as unknown as Logger;
    const limiter = new Limiter("api_key", 2, 2, h.deps.redis, h.config.QUEUE_PREFIX, h.deps.monitor, logger);
    const key = randomUUID();
    await h.deps.redis.lpush(`${h.config.QUEUE_PREFIX}:bucket:api_key:${key}`, "not a bucket");
    const decisions = [];
    for (let i = 0; i < 3; i++) decisions.push(await limiter.consume(key));
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, false]);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ limiter: "api_key" });
  });

  test("awkward rates (fractional intervals) admit exactly their burst, as in memory", async () => {
    for (const perSecond of [6, 7, 15, 24]) {
      const key = `${h.config.QUEUE_PREFIX}:bucket:test:${randomUUID()}`;
      const shape = bucketShape(perSecond, perSecond);
      const started = performance.now();
      const admissions = [];
      for (let i = 0; i <= perSecond; i++) admissions.push(await admitInRedis(h.deps.redis, key, shape));
      const elapsedMs = performance.now() - started;
      expect(admissions[0]!.remaining, `rate ${perSecond}`).toBe(perSecond - 1);
      const admitted = admissions.filter((a) => a.allowed).length;
      expect(admitted, `rate ${perSecond}`).toBeGreaterThanOrEqual(perSecond);
      expect(admitted, `rate ${perSecond}`).toBeLessThanOrEqual(admittable(perSecond, perSecond, elapsedMs));
    }
  });
});

describe("failed authentication per client address", () => {
  test("past the limit a missing or invalid key gets 429, while a valid key from the same address still works", async () => {
    const tenant = await createMerchant(h.deps.db, "Same address");
    const server = serve({ fetch: h.app.fetch, port: 0, hostname: "127.0.0.1" }) as unknown as Server;
    await once(server, "listening");
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const get = (headers: Record<string, string>) => fetch(`${base}/v1/loyalty/accounts`, { headers });
      const { results: bad, elapsedMs } = await together(10, (i) => get(i % 2 ? { authorization: "Bearer sk_test_wrongwrongwrongwrong" } : {}));
      const statuses = bad.map((res) => res.status);
      const unauthorized = statuses.filter((status) => status === 401).length;
      // One a second: the spoofed request below comes well within the second the flood emptied.
      expect(unauthorized).toBeGreaterThanOrEqual(1);
      expect(unauthorized).toBeLessThanOrEqual(admittable(1, 1, elapsedMs));
      expect(statuses.filter((status) => status === 429).length).toBe(10 - unauthorized);
      const limited = bad.find((res) => res.status === 429)!;
      expect(limited.headers.get("retry-after")).toBeTruthy();
      expect(((await limited.json()) as any).error.code).toBe("rate_limited");

      const valid = await get({ authorization: `Bearer ${tenant.secret_key_test}` });
      expect(valid.status).toBe(200);
      // Without TRUST_PROXY, X-Forwarded-For does not give a flooding client a new address.
      const spoofed = await get({ authorization: "Bearer sk_test_wrongwrongwrongwrong", "x-forwarded-for": "203.0.113.9" });
      expect(spoofed.status).toBe(429);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe("inbound webhooks per merchant and source", () => {
  test("past the limit a source gets 429; the other source of the merchant is not affected", async () => {
    const post = (source: string) => Promise.resolve(h.app.request(`/webhooks/${h.merchant.merchant}/${source}`, { method: "POST", body: "{}" }));
    const { results: payments, elapsedMs } = await together(8, () => post("payments"));
    // Unsigned: 401 until the limit, 429 after it.
    const unauthorized = payments.filter((res) => res.status === 401).length;
    expect(unauthorized).toBeGreaterThanOrEqual(4);
    expect(unauthorized).toBeLessThanOrEqual(admittable(4, 4, elapsedMs));
    expect(payments.filter((res) => res.status === 429).length).toBe(8 - unauthorized);
    expect(payments[0]!.headers.get("ratelimit-limit")).toBe("4");
    expect((await post("warehouse")).status).toBe(401);
  });
});

describe("two API keys in one request", () => {
  test("different keys in Authorization and X-Api-Key: 400 parameter_invalid; the same key in both is fine", async () => {
    const other = await createMerchant(h.deps.db, "Second key");
    const tenant = await createMerchant(h.deps.db, "Both headers");
    const both = await h.api("GET", "/v1/loyalty/accounts", { key: tenant.secret_key_test, headers: { "x-api-key": other.secret_key_test } });
    expect(both.status).toBe(400);
    expect(both.body.error).toMatchObject({ code: "parameter_invalid", param: "authorization" });
    const junk = await h.api("GET", "/v1/loyalty/accounts", { key: tenant.secret_key_test, headers: { "x-api-key": "something-else" } });
    expect(junk.status).toBe(400);
    const same = await h.api("GET", "/v1/loyalty/accounts", { key: tenant.secret_key_test, headers: { "x-api-key": tenant.secret_key_test } });
    expect(same.status).toBe(200);
  });
});

describe("with the limiter's Redis unreachable", () => {
  /** A Redis that accepts connections and never answers (a paused Redis), and one that refuses them. */
  let silent: Server;
  const sockets = new Set<Socket>();
  beforeAll(async () => {
    silent = createServer((socket) => void sockets.add(socket)).listen(0, "127.0.0.1");
    await once(silent, "listening");
  });
  afterAll(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise<void>((resolve) => silent.close(() => resolve()));
  });

  /** An app of its own database limited to 3 a second (burst 3), against the Redis at `redisUrl`. */
  async function limitedApp(redisUrl: string, merchantName: string) {
    const environment = await createTestEnvironment();
    const config = loadConfig({
      DATABASE_URL: environment.databaseUrl,
      REDIS_URL: redisUrl,
      QUEUE_PREFIX: environment.queuePrefix,
      LOG_LEVEL: "silent",
      RATE_LIMIT_PER_SECOND: "3",
      RATE_LIMIT_BURST: "3",
    });
    const deps = buildAppDeps(config);
    const app = createApp(deps);
    const close = async () => {
      // closeAppDeps waits on queue connections that cannot close without Redis (bin/web.ts bounds it too).
      await withDeadline(closeAppDeps(deps), 2_000, "close").catch(() => {});
      deps.redis.disconnect();
      await destroyTestEnvironment(environment);
    };
    try {
      const merchant = await createMerchant(deps.db, merchantName);
      const list = () => Promise.resolve(app.request("/v1/loyalty/accounts", { headers: { authorization: `Bearer ${merchant.secret_key_test}` } })).then((res) => res.status);
      return { config, deps, list, close };
    } catch (error) {
      await close();
      throw error;
    }
  }

  /** Six requests at once against a limit of 3: three (and what refilled meanwhile) answered 200, the rest 429. */
  async function sixAgainstThree(list: () => Promise<number>): Promise<number> {
    const { results: statuses, elapsedMs } = await together(6, list);
    const ok = statuses.filter((status) => status === 200).length;
    expect(ok).toBeGreaterThanOrEqual(3);
    expect(ok).toBeLessThanOrEqual(admittable(3, 3, elapsedMs));
    expect(statuses.filter((status) => status === 429).length).toBe(6 - ok);
    return elapsedMs;
  }

  for (const kind of ["refused", "silent"] as const) {
    test(`the API still serves, each process limiting on its own in memory (${kind})`, async () => {
      const redisUrl = kind === "refused" ? "redis://127.0.0.1:1" : `redis://127.0.0.1:${(silent.address() as AddressInfo).port}`;
      const limited = await limitedApp(redisUrl, "No Redis");
      try {
        expect(await sixAgainstThree(limited.list)).toBeLessThan(2_000);
      } finally {
        await limited.close();
      }
    });
  }

  test("Redis paused while the connection is ready: each request waits at most the command timeout, then is limited in memory", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lr-limiter-"));
    const redis = await startPrivateRedis(dir);
    const limited = await limitedApp(redis.url, "Paused Redis");
    const { config, deps, list: call } = limited;
    try {
      if (deps.redis.status !== "ready") await once(deps.redis, "ready");
      expect(await call()).toBe(200);
      // Counted in Redis while it answers.
      expect(await deps.redis.keys(`${config.QUEUE_PREFIX}:bucket:api_key:*`)).toHaveLength(1);
      redis.pause();
      // The 1.5 s command timeout, not a hang (and no 5xx).
      expect(await sixAgainstThree(call)).toBeLessThan(REDIS_COMMAND_TIMEOUT_MS + 1_500);
    } finally {
      redis.resume();
      await limited.close();
      redis.teardown();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
