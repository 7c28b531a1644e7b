import { execFile, spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createDb } from "../../src/db/client.js";
import type { Db } from "../../src/db/database.js";
import { signWebhook } from "../../src/webhooks/standard-webhooks.js";
import { buildService } from "../helpers/build.js";
import { createTestEnvironment, destroyTestEnvironment, REDIS_URL } from "../helpers/harness.js";

/** The operator CLI, run as an operator runs it: `node dist/src/bin/cli.js …` against real web processes. */
const run = promisify(execFile);
let environment: Awaited<ReturnType<typeof createTestEnvironment>>;
let env: Record<string, string>;
let db: Db;
let build: string;
const webs: ChildProcess[] = [];

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

async function cli(...args: string[]): Promise<any> {
  const { stdout } = await run(process.execPath, [`${build}/src/bin/cli.js`, ...args], { env: { ...process.env, ...env } });
  return JSON.parse(stdout);
}

async function startWeb(): Promise<number> {
  const port = await freePort();
  const child = spawn(process.execPath, [`${build}/src/bin/web.js`], { env: { ...process.env, ...env, PORT: String(port) }, stdio: ["ignore", "ignore", "inherit"] });
  webs.push(child);
  // A generous bound: two web processes boot at once, beside other test files, on two cores.
  for (const giveUpAt = Date.now() + 30_000; Date.now() < giveUpAt; ) {
    if (await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false)) return port;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("web did not become ready");
}

const status = (port: number, key: string) =>
  fetch(`http://127.0.0.1:${port}/v1/loyalty/accounts`, { headers: { authorization: `Bearer ${key}` } }).then((res) => res.status);

let ports: number[];
beforeAll(async () => {
  // The shared test build, not dist/: other test files rebuild dist/ while this one runs.
  build = await buildService();
  environment = await createTestEnvironment();
  db = createDb(environment.databaseUrl, 2);
  env = { DATABASE_URL: environment.databaseUrl, REDIS_URL, QUEUE_PREFIX: environment.queuePrefix, LOG_LEVEL: "silent", RATE_LIMIT_PER_SECOND: "0" };
  ports = await Promise.all([startWeb(), startWeb()]);
}, 120_000);
afterAll(async () => {
  for (const web of webs) web.kill("SIGTERM");
  await Promise.all(webs.map((web) => new Promise((resolve) => (web.exitCode !== null ? resolve(null) : web.on("exit", resolve)))));
  await db?.destroy();
  if (environment) await destroyTestEnvironment(environment);
});

describe("keys through the CLI", () => {
  // Not a speed test (the suite shares two cores): a CLI that waits on a connection it never needs, or
  // for a Redis retry loop to give up, takes well over this bound; one that just runs does not.
  test("a command answers without hanging on connections, from the built output", async () => {
    const started = performance.now();
    const { merchants } = await cli("merchants", "list");
    expect(Array.isArray(merchants)).toBe(true);
    expect(performance.now() - started).toBeLessThan(8_000);
  });

  test("roll: the new key works at once, the old one until it expires; --expires-in 0 ends it now", async () => {
    const created = await cli("merchants", "create", "--name", "Roller");
    const rolled = await cli("keys", "roll", "--merchant", created.merchant, "--mode", "test", "--expires-in", "1h");
    expect(rolled.secret_key).toMatch(/^sk_test_/);
    expect(rolled.previous_keys).toHaveLength(1);
    expect(rolled.previous_keys[0].key).toBe(`sk_test_…${created.secret_key_test.slice(-4)}`);
    for (const port of ports) {
      expect(await status(port, created.secret_key_test)).toBe(200);
      expect(await status(port, rolled.secret_key)).toBe(200);
    }
    const now = await cli("keys", "roll", "--merchant", created.merchant, "--mode", "test", "--expires-in", "0");
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (const port of ports) {
      expect(await status(port, created.secret_key_test)).toBe(401);
      expect(await status(port, rolled.secret_key)).toBe(401);
      expect(await status(port, now.secret_key)).toBe(200);
    }
    // The live key was not touched.
    expect(await status(ports[0]!, created.secret_key_live)).toBe(200);
    const { keys } = await cli("keys", "list", "--merchant", created.merchant);
    expect(keys).toHaveLength(4);
    expect(keys.filter((key: any) => key.status === "active").map((key: any) => key.mode).sort()).toEqual(["live", "test"]);
    expect(keys.find((key: any) => key.key === `sk_test_…${now.secret_key.slice(-4)}`).last_used).not.toBeNull();
    expect(JSON.stringify(keys)).not.toContain(created.secret_key_test);
  });

  test("last used: recorded on first use, written at most once a minute however many processes use the key", async () => {
    const created = await cli("merchants", "create", "--name", "Used");
    const lastUsed = async () =>
      (await cli("keys", "list", "--merchant", created.merchant)).keys.find((key: any) => key.key === `sk_test_…${created.secret_key_test.slice(-4)}`).last_used;
    expect(await lastUsed()).toBeNull();
    expect(await status(ports[0]!, created.secret_key_test)).toBe(200);
    // The write is not on the request's path: wait for it (bounded), however slow the machine is.
    let first = await lastUsed();
    for (const giveUpAt = Date.now() + 5_000; first === null && Date.now() < giveUpAt; first = await lastUsed()) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(first).not.toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // now() would have moved on
    for (const port of ports) for (let i = 0; i < 3; i++) expect(await status(port, created.secret_key_test)).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await lastUsed()).toBe(first);
  });

  test("revoke: refused on every web process within a second", async () => {
    const created = await cli("merchants", "create", "--name", "Revoked");
    const key = created.secret_key_test;
    // Both processes have the key cached.
    for (const port of ports) expect(await status(port, key)).toBe(200);
    const revoking = cli("keys", "revoke", "--merchant", created.merchant, "--key", key);
    const result = await revoking;
    const revokedAt = performance.now();
    expect(result).toMatchObject({ revoked: true, announced: true });
    const delays = await Promise.all(
      ports.map(async (port) => {
        while ((await status(port, key)) === 200) await new Promise((resolve) => setTimeout(resolve, 5));
        return performance.now() - revokedAt;
      }),
    );
    console.log(`revocation refused ${delays.map((ms) => `${ms.toFixed(0)} ms`).join(" and ")} after the CLI returned, on two web processes`);
    for (const delay of delays) expect(delay).toBeLessThan(1_000);
  });

  test("inbound secret rotation: old and new secret both verify during the overlap", async () => {
    const created = await cli("merchants", "create", "--name", "Rotator");
    const rotated = await cli("inbound-secrets", "rotate", "--merchant", created.merchant, "--source", "payments", "--expires-in", "1h");
    expect(rotated.secret).toMatch(/^whsec_/);
    const send = async (secret: string, id: string) => {
      const body = JSON.stringify({ id, type: "payment.unknown_kind", created: 1, livemode: false, data: { object: {} } });
      const headers = signWebhook([secret], id, new Date(), body);
      const res = await fetch(`http://127.0.0.1:${ports[0]}/webhooks/${created.merchant}/payments`, { method: "POST", body, headers: { ...headers, "content-type": "application/json" } });
      return res.status;
    };
    expect(await send(created.inbound_secrets.payments, "evt_old_1")).toBe(200);
    expect(await send(rotated.secret, "evt_new_1")).toBe(200);
    // A rotation that ends the overlap at once: the newest verifies immediately (a failed verification
    // reads the secrets again); an expired one may verify for the 10 s of the per-process secret cache.
    const third = await cli("inbound-secrets", "rotate", "--merchant", created.merchant, "--source", "payments", "--expires-in", "0");
    expect(await send(third.secret, "evt_third_1")).toBe(200);
  });
});
