import { checkInvariants } from "../../../src/domain/invariants/checks.js";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { sql } from "kysely";
import { expect, inject } from "vitest";
import { createDb } from "../../../src/db/client.js";
import type { Db } from "../../../src/db/database.js";
import { createMerchant, type CreatedMerchant } from "../../../src/domain/merchants/merchants.js";
import { freePort, startPrivatePostgres, startPrivateRedis, type PrivatePostgres, type PrivateRedis } from "../../chaos/lib/private-services.js";
import { buildService } from "../../helpers/build.js";
import { databaseUrl, dropDatabase, withAdmin } from "../../helpers/databases.js";
import { call, type Answer } from "./http.js";
import { killAll, runToExit, ServiceProcess, type Script } from "./processes.js";

/**
 * Real `web`, `worker` and `npm start` processes on a private Redis (started, stopped, SIGSTOPped at
 * will; absent from the start if asked) and either a private Postgres cluster (which the test may stop)
 * or a database of its own on the shared Postgres (never stopped). Small timeouts keep the suite fast.
 */
export const TIMEOUTS = {
  REQUEST_TIMEOUT_MS: 2_000,
  SHUTDOWN_TIMEOUT_MS: 3_000,
  SWEEP_INTERVAL_MS: 200,
  SWEEP_STALE_AFTER_MS: 500,
};
/** Every REST call answers within this (issue "Never hang, never lie", 1). */
export const ANSWER_BOUND_MS = TIMEOUTS.REQUEST_TIMEOUT_MS + 1_000;
/** Every process exits this long after SIGTERM at the latest (2). */
export const EXIT_BOUND_MS = TIMEOUTS.SHUTDOWN_TIMEOUT_MS + 1_000;
/** Our client-side cap: well past the bound, so a hang is measured rather than cut at the bound. */
export const CLIENT_CAP_MS = ANSWER_BOUND_MS + 5_000;
/** How long we wait for an exit before SIGKILL (and a "did not exit" verdict). */
export const EXIT_CAP_MS = EXIT_BOUND_MS + 4_000;
/** Long enough for the sweeper to re-drive anything stale: past the staleness age plus several rounds. */
export const SWEEPER_SETTLE_MS = TIMEOUTS.SWEEP_STALE_AFTER_MS + 8 * TIMEOUTS.SWEEP_INTERVAL_MS + 1_000;

export interface Tenant {
  merchant: CreatedMerchant;
  secretKey: string;
  account: string;
  /** A second account, for requests sent without an Idempotency-Key. */
  unkeyedAccount: string;
  reward: string;
  cost: number;
  startingBalance: number;
}

export interface Rig {
  build: string;
  env: Record<string, string>;
  baseUrl: string;
  redis: PrivateRedis;
  /** Null when the rig runs on the shared Postgres (which is never stopped). */
  postgres: PrivatePostgres | null;
  db: Db;
  processes: ServiceProcess[];
  web: (env?: Record<string, string>) => ServiceProcess;
  worker: (env?: Record<string, string>) => ServiceProcess;
  /** `npm start` without its build step: `node <build>/scripts/start.js` (release, then web + worker). */
  start: (env?: Record<string, string>) => ServiceProcess;
  release: (env?: Record<string, string>) => ReturnType<typeof runToExit>;
  waitHealthy: (timeoutMs?: number) => Promise<void>;
  /** Waits until /readyz answers 200 (both dependencies reachable from web). */
  waitReady: (timeoutMs?: number) => Promise<void>;
  api: (method: string, path: string, options?: { idempotencyKey?: string; body?: unknown; secretKey?: string }) => Promise<Answer>;
  tenant: (options?: { balance?: number; cost?: number }) => Promise<Tenant>;
  close: () => Promise<void>;
}

export async function startRig(
  options: { redis?: "running" | "absent"; postgres?: "private" | "shared"; logLevel?: string; env?: Record<string, string>; /** Seeds: run on a Redis Cluster instead (test/cluster). */ redisClusterNodes?: string } = {},
): Promise<Rig> {
  const build = await buildService();
  const dir = mkdtempSync("/tmp/lr-outages-");
  const suffix = randomBytes(5).toString("hex");
  const redis = await startPrivateRedis(dir, { running: options.redis !== "absent" });
  let postgres: PrivatePostgres | null = null;
  let dbUrl: string;
  let sharedDb: string | null = null;
  if (options.postgres === "shared") {
    sharedDb = `lr_test_${suffix}`;
    await withAdmin((client) => client.query(`CREATE DATABASE "${sharedDb}" TEMPLATE "${inject("templateDatabase")}"`));
    dbUrl = databaseUrl(sharedDb);
  } else {
    postgres = await startPrivatePostgres(dir);
    dbUrl = postgres.databaseUrl("loyalty_outages");
  }
  // A crash of the test process itself must not leave servers behind (both teardowns are synchronous).
  process.once("exit", () => {
    redis.teardown();
    postgres?.teardown();
  });
  const port = await freePort();
  const env: Record<string, string> = {
    DATABASE_URL: dbUrl,
    // On a cluster REDIS_URL stays at its default (config refuses both), overriding any inherited one.
    ...(options.redisClusterNodes ? { REDIS_CLUSTER_NODES: options.redisClusterNodes, REDIS_URL: "redis://127.0.0.1:6379" } : { REDIS_URL: redis.url }),
    QUEUE_PREFIX: `lro_${suffix}`,
    PORT: String(port),
    LOG_LEVEL: options.logLevel ?? "info",
    REQUEST_TIMEOUT_MS: String(TIMEOUTS.REQUEST_TIMEOUT_MS),
    SHUTDOWN_TIMEOUT_MS: String(TIMEOUTS.SHUTDOWN_TIMEOUT_MS),
    SWEEP_INTERVAL_MS: String(TIMEOUTS.SWEEP_INTERVAL_MS),
    SWEEP_STALE_AFTER_MS: String(TIMEOUTS.SWEEP_STALE_AFTER_MS),
    WORKER_CONCURRENCY: "8",
    DATABASE_POOL_SIZE: "5",
    // Outages are under test here, not the rate limits (rate-limits.test.ts has those).
    RATE_LIMIT_PER_SECOND: "0",
    RATE_LIMIT_AUTH_FAILURES_PER_SECOND: "0",
    RATE_LIMIT_INBOUND_PER_SECOND: "0",
    ...options.env,
  };
  const baseUrl = `http://127.0.0.1:${port}`;
  const processes: ServiceProcess[] = [];
  const spawn = (name: string, script: Script, extra: Record<string, string> = {}) => {
    const proc = new ServiceProcess(`${name}#${processes.filter((p) => p.script === script).length + 1}`, build, script, { ...env, ...extra });
    processes.push(proc);
    return proc;
  };
  const waitFor = async (path: string, what: string, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    let last = "";
    while (Date.now() < deadline) {
      const answer = await call(baseUrl, "GET", path, { capMs: 3_000 });
      if (answer.status === 200) return;
      last = answer.status === 0 ? answer.error! : `${answer.status} ${answer.text.slice(0, 200)}`;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`web did not become ${what} within ${timeoutMs} ms (last ${path}: ${last})`);
  };

  const rig: Rig = {
    build,
    env,
    baseUrl,
    redis,
    postgres,
    db: createDb(dbUrl, 2),
    processes,
    web: (extra) => spawn("web", "src/bin/web.js", extra),
    worker: (extra) => spawn("worker", "jobs/main.js", extra),
    start: (extra) => spawn("start", "scripts/start.js", extra),
    release: (extra = {}) => runToExit("release", build, "src/bin/release.js", { ...env, ...extra }, 30_000),
    waitHealthy: (timeoutMs = 20_000) => waitFor("/healthz", "healthy", timeoutMs),
    waitReady: (timeoutMs = 20_000) => waitFor("/readyz", "ready", timeoutMs),
    api: (method, path, opts = {}) => call(baseUrl, method, path, { capMs: CLIENT_CAP_MS, ...opts }),
    tenant: async ({ balance = 1_000_000, cost = 100 } = {}) => {
      const merchant = await createMerchant(rig.db, `Outages ${suffix}`);
      const secretKey = merchant.secret_key_test;
      const ok = async (answer: Answer) => {
        if (answer.status !== 201) throw new Error(`setup: ${answer.method} ${answer.path} answered ${answer.status} ${answer.error ?? answer.text.slice(0, 300)}`);
        return answer.body;
      };
      const account = async () => {
        const created = await ok(await rig.api("POST", "/v1/loyalty/accounts", { secretKey, body: { customer: `cus_${randomUUID().slice(0, 8)}` } }));
        await ok(await rig.api("POST", "/v1/loyalty/transactions", { secretKey, body: { account: created.id, amount: balance, reason: "outage test" } }));
        return created.id as string;
      };
      const reward = await ok(await rig.api("POST", "/v1/loyalty/rewards", { secretKey, body: { name: "EUR 1 off", type: "discount_amount", cost, value: { amount: 100, currency: "EUR" } } }));
      return { merchant, secretKey, account: await account(), unkeyedAccount: await account(), reward: reward.id, cost, startingBalance: balance };
    },
    close: async () => {
      killAll();
      await Promise.all(processes.map((proc) => proc.exited));
      await rig.db.destroy().catch(() => {});
      redis.teardown();
      postgres?.teardown();
      if (sharedDb) await withAdmin((client) => dropDatabase(client, sharedDb!));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  if (postgres) {
    const { exit, proc } = await rig.release();
    if (exit?.code !== 0) throw new Error(`release exited ${exit?.code}:\n${proc.lines.map((l) => l.text).join("\n")}`);
  }
  return rig;
}

/** The effect, in Postgres, of each Idempotency-Key: its row's status, its redemption, and that redemption's debits. */
export async function keyEffects(db: Db, merchant: string, keys: string[]) {
  const effects = new Map<string, { status: string; redemption: string | null; debits: number }>();
  for (let i = 0; i < keys.length; i += 500) {
    const { rows } = await sql<{ key: string; status: string; redemption: string | null; debits: number }>`
      SELECT k.key, k.status, r.id AS redemption,
             (SELECT COUNT(*) FROM points_transactions t WHERE t.redemption_id = r.id AND t.type = 'redemption')::int AS debits
      FROM idempotency_keys k LEFT JOIN redemptions r ON r.idempotency_id = k.id
      WHERE k.merchant_id = ${merchant} AND k.livemode = false AND k.key = ANY(${keys.slice(i, i + 500)})`.execute(db);
    for (const row of rows) effects.set(row.key, row);
  }
  return effects;
}

/** An account as the tables show it: balance, ledger rows, redemptions, and debits. */
export async function accountState(db: Db, account: string) {
  const { rows } = await sql<{ balance: number; ledger_rows: number; redemptions: number; debits: number }>`
    SELECT a.balance,
           (SELECT COUNT(*) FROM points_transactions t WHERE t.account_id = a.id)::int AS ledger_rows,
           (SELECT COUNT(*) FROM redemptions r WHERE r.account_id = a.id)::int AS redemptions,
           (SELECT COUNT(*) FROM points_transactions t WHERE t.account_id = a.id AND t.type = 'redemption')::int AS debits
    FROM loyalty_accounts a WHERE a.id = ${account}`.execute(db);
  return rows[0]!;
}

/** Requests stored and not yet completed or withdrawn (each could still take effect). */
export async function pendingRequests(db: Db, merchant: string): Promise<{ key: string; created_at: Date }[]> {
  const { rows } = await sql<{ key: string; created_at: Date }>`
    SELECT key, created_at FROM idempotency_keys WHERE merchant_id = ${merchant} AND status = 'pending' ORDER BY created_at`.execute(db);
  return rows;
}

/** One JSON line of measured figures per test, to be quoted. */
export function printFigures(test: string, figures: Record<string, unknown>): void {
  console.log(JSON.stringify({ outage_figures: test, ...figures }));
}

/** A process that exited on its own during an outage crashed (or gave up): a finding. */
export function expectRunning(processes: ServiceProcess[], during: string): void {
  for (const proc of processes) {
    expect.soft(proc.exit, `${proc.name} exited on its own during ${during} (${JSON.stringify(proc.exit)}); last lines:\n  ${proc.lines.slice(-5).map((l) => l.text.slice(0, 200)).join("\n  ")}`).toBeNull();
  }
}

/**
 * The invariant checks that fail once the system has settled. Judged with grace 0, so work the last
 * answer started (an event not relayed yet) is given a few seconds to finish before it counts.
 */
export async function settledViolations(db: Parameters<typeof checkInvariants>[0], withinMs = 10_000) {
  const until = Date.now() + withinMs;
  for (;;) {
    const violated = (await checkInvariants(db, { graceSeconds: 0 })).filter((check) => check.violations.length > 0);
    if (violated.length === 0 || Date.now() >= until) return violated;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
