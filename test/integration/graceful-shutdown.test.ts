import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, test } from "vitest";
import { Client } from "@loyalty-redemptions/client";
import { createDb } from "../../src/db/client.js";
import type { Db } from "../../src/db/database.js";
import { createMerchant } from "../../src/domain/merchants/merchants.js";
import { createTestEnvironment, destroyTestEnvironment, REDIS_URL } from "../helpers/harness.js";
import { expectLedgerInvariants } from "../helpers/invariants.js";

/**
 * Real `web` and `worker` processes, as the Procfile runs them, stopped with SIGTERM in the middle of a
 * burst of redemptions: both exit 0, every 2xx the clients saw is in the database, and every request
 * that got no answer (or a 503) can be retried with its key and is debited exactly once.
 */
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
let environment: Awaited<ReturnType<typeof createTestEnvironment>>;
let db: Db;
let env: Record<string, string>;

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

const start = (script: string) =>
  spawn(process.execPath, [`${ROOT}/dist/${script}`], { env: { ...process.env, ...env }, stdio: ["ignore", "ignore", "inherit"] });
const exitCode = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.on("exit", (code) => resolve(code))));

async function waitReady(port: number) {
  for (let i = 0; i < 200; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false);
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("web did not become ready");
}

beforeAll(async () => {
  execFileSync(process.execPath, [`${ROOT}/node_modules/typescript/bin/tsc`, "-p", `${ROOT}/tsconfig.json`], { stdio: "inherit" });
  environment = await createTestEnvironment();
  db = createDb(environment.databaseUrl, 2);
  const port = await freePort();
  env = {
    DATABASE_URL: environment.databaseUrl,
    REDIS_URL,
    QUEUE_PREFIX: environment.queuePrefix,
    PORT: String(port),
    LOG_LEVEL: "silent",
    REQUEST_TIMEOUT_MS: "3000",
    SWEEP_INTERVAL_MS: "200",
    SWEEP_STALE_AFTER_MS: "500",
  };
}, 120_000);
afterAll(async () => {
  await db?.destroy();
  if (environment) await destroyTestEnvironment(environment);
});

test("SIGTERM under load: both processes drain and exit 0; nothing lost, nothing doubled", async () => {
  const merchant = await createMerchant(db, "shutdown");
  const port = Number(env.PORT);
  let web = start("src/bin/web.js");
  let worker = start("jobs/main.js");
  await waitReady(port);
  const client = new Client({ secretKey: merchant.secret_key_test, baseUrl: `http://127.0.0.1:${port}`, maxRetries: 0 });
  const account = await client.loyalty.accounts.create({});
  await client.loyalty.transactions.create({ account: account.id, amount: 1_000_000, reason: "load" });
  const reward = await client.loyalty.rewards.create({ name: "1 off", type: "discount_amount", cost: 10, value: { amount: 100, currency: "EUR" } });

  const keys = Array.from({ length: 80 }, (_, i) => `shutdown-${i}`);
  let answered = 0;
  let stopped = false;
  const outcomes = keys.map(async (key, i) => {
    await new Promise((resolve) => setTimeout(resolve, i * 5));
    try {
      const redemption = await client.loyalty.redemptions.create({ account: account.id, reward: reward.id }, { idempotencyKey: key });
      if (++answered === 10 && !stopped) {
        stopped = true;
        web.kill("SIGTERM");
        worker.kill("SIGTERM");
      }
      return { key, id: redemption.id as string | null };
    } catch {
      return { key, id: null };
    }
  });
  const results = await Promise.all(outcomes);
  expect(stopped).toBe(true);
  expect(await exitCode(web)).toBe(0);
  expect(await exitCode(worker)).toBe(0);

  // Every answered 2xx is in the database.
  const succeeded = results.filter((r) => r.id !== null);
  expect(succeeded.length).toBeGreaterThanOrEqual(10);
  const stored = await db.selectFrom("redemptions").select("id").where("id", "in", succeeded.map((r) => r.id!)).execute();
  expect(stored).toHaveLength(succeeded.length);

  // Restart; retry everything with its own key (answered ones must replay the same redemption).
  web = start("src/bin/web.js");
  worker = start("jobs/main.js");
  await waitReady(port);
  const retried = new Client({ secretKey: merchant.secret_key_test, baseUrl: `http://127.0.0.1:${port}`, maxRetries: 3 });
  for (const result of results) {
    const redemption = await retried.loyalty.redemptions.create({ account: account.id, reward: reward.id }, { idempotencyKey: result.key });
    if (result.id) expect(redemption.id).toBe(result.id);
  }
  const all = await db.selectFrom("redemptions").select(["id", "idempotency_id"]).where("account_id", "=", account.id).execute();
  expect(all).toHaveLength(keys.length);
  expect(new Set(all.map((r) => r.idempotency_id)).size).toBe(keys.length);
  const balance = await db.selectFrom("loyalty_accounts").select("balance").where("id", "=", account.id).executeTakeFirstOrThrow();
  expect(balance.balance).toBe(1_000_000 - 10 * keys.length);
  await expectLedgerInvariants(db);

  web.kill("SIGTERM");
  worker.kill("SIGTERM");
  expect(await exitCode(web)).toBe(0);
  expect(await exitCode(worker)).toBe(0);
}, 120_000);
