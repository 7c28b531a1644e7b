import { serve } from "@hono/node-server";
import { once } from "node:events";
import type { AddressInfo, Server, Socket } from "node:net";
import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { loadConfig } from "../../src/config.js";
import { withDeadline } from "../../src/deadline.js";
import { createMerchant } from "../../src/domain/merchants/merchants.js";
import { createApp } from "../../src/http/app.js";
import { buildAppDeps, closeAppDeps } from "../../src/http/deps.js";
import { createTestEnvironment, destroyTestEnvironment, startHarness, type Harness } from "../helpers/harness.js";

const LIMITED = { RATE_LIMIT_PER_SECOND: "5", RATE_LIMIT_BURST: "5", RATE_LIMIT_AUTH_FAILURES_PER_SECOND: "3", RATE_LIMIT_INBOUND_PER_SECOND: "4" };

let h: Harness;
beforeAll(async () => {
  h = await startHarness(LIMITED, { workers: false });
});
afterAll(async () => h?.close());

const list = (key: string | null, headers: Record<string, string> = {}) => h.api("GET", "/v1/loyalty/accounts", { key, headers });

describe("rate limits per API key", () => {
  test("a flood from one key gets 429 with the headers; another merchant's requests in the same second all succeed", async () => {
    const other = await createMerchant(h.deps.db, "Other merchant");
    const [flood, calm] = await Promise.all([
      Promise.all(Array.from({ length: 20 }, () => list(h.merchant.secret_key_test))),
      Promise.all(Array.from({ length: 5 }, () => list(other.secret_key_test))),
    ]);
    const ok = flood.filter((res) => res.status === 200);
    const limited = flood.filter((res) => res.status === 429);
    expect(ok.length).toBe(5);
    expect(limited.length).toBe(15);
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
    expect(refused.headers.get("ratelimit-reset")).toBe(refused.headers.get("retry-after"));
    expect(calm.map((res) => res.status)).toEqual([200, 200, 200, 200, 200]);

    const metrics = (await h.api("GET", "/metrics", { key: null })).text;
    expect(metrics).toMatch(/rate_limited_requests_total\{limiter="api_key"\} (1[5-9]|[2-9]\d)/);
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
      const statuses = await Promise.all([...Array.from({ length: 5 }, () => call(h.app)), ...Array.from({ length: 5 }, () => call(second))]);
      expect(statuses.filter((status) => status === 200).length).toBe(5);
      expect(statuses.filter((status) => status === 429).length).toBe(5);
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

describe("failed authentication per client address", () => {
  test("past the limit a missing or invalid key gets 429, while a valid key from the same address still works", async () => {
    const tenant = await createMerchant(h.deps.db, "Same address");
    const server = serve({ fetch: h.app.fetch, port: 0, hostname: "127.0.0.1" }) as unknown as Server;
    await once(server, "listening");
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const get = (headers: Record<string, string>) => fetch(`${base}/v1/loyalty/accounts`, { headers });
      const bad = await Promise.all(
        Array.from({ length: 10 }, (_, i) => get(i % 2 ? { authorization: "Bearer sk_test_wrongwrongwrongwrong" } : {})),
      );
      const statuses = bad.map((res) => res.status);
      expect(statuses.filter((status) => status === 401).length).toBe(3);
      expect(statuses.filter((status) => status === 429).length).toBe(7);
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
    const post = (source: string) => h.app.request(`/webhooks/${h.merchant.merchant}/${source}`, { method: "POST", body: "{}" });
    const payments = await Promise.all(Array.from({ length: 8 }, () => post("payments")));
    // Unsigned: 401 until the limit, 429 after it.
    expect(payments.filter((res) => res.status === 401).length).toBe(4);
    expect(payments.filter((res) => res.status === 429).length).toBe(4);
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

  for (const kind of ["refused", "silent"] as const) {
    test(`the API still serves, each process limiting on its own in memory (${kind})`, async () => {
      const environment = await createTestEnvironment();
      const redisUrl = kind === "refused" ? "redis://127.0.0.1:1" : `redis://127.0.0.1:${(silent.address() as AddressInfo).port}`;
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
      try {
        const merchant = await createMerchant(deps.db, "No Redis");
        const started = performance.now();
        const statuses = await Promise.all(
          Array.from({ length: 6 }, () =>
            Promise.resolve(app.request("/v1/loyalty/accounts", { headers: { authorization: `Bearer ${merchant.secret_key_test}` } })).then((res) => res.status),
          ),
        );
        const elapsed = performance.now() - started;
        expect(statuses.filter((status) => status === 200).length).toBe(3);
        expect(statuses.filter((status) => status === 429).length).toBe(3);
        expect(elapsed).toBeLessThan(2_000);
      } finally {
        // closeAppDeps waits on queue connections that cannot close without Redis (bin/web.ts bounds it too).
        await withDeadline(closeAppDeps(deps), 2_000, "close").catch(() => {});
        deps.redis.disconnect();
        await destroyTestEnvironment(environment);
      }
    });
  }
});
