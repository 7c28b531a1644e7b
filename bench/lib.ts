import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { sql } from "kysely";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import pg from "pg";
import { Pool } from "undici";
import { loadConfig } from "../src/config.js";
import { connectionConfig, createDb } from "../src/db/client.js";
import type { Db } from "../src/db/database.js";
import { createMerchant, type CreatedMerchant } from "../src/domain/merchants/merchants.js";
import { newId } from "../src/ids.js";
import { freePort } from "../scripts/dev/free-port.js";

/** Shared plumbing for benchmarks: a throwaway database and queue prefix, real processes, cleanup. */

const DIST = fileURLToPath(new URL("..", import.meta.url));
export const ADMIN_URL = process.env.BENCH_DATABASE_ADMIN_URL ?? "postgres://127.0.0.1:5432/postgres";
export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

export interface BenchEnv {
  databaseUrl: string;
  prefix: string;
  port: number;
  env: Record<string, string>;
}

export function benchEnv(port: number, extra: Record<string, string> = {}): BenchEnv {
  const suffix = randomBytes(4).toString("hex");
  const url = new URL(ADMIN_URL);
  url.pathname = `/lr_bench_${suffix}`;
  const env: Record<string, string> = {
    DATABASE_URL: url.toString(),
    REDIS_URL,
    QUEUE_PREFIX: `lrb_${suffix}`,
    PORT: String(port),
    LOG_LEVEL: "warn",
    ...extra,
  };
  const bench = { databaseUrl: env.DATABASE_URL!, prefix: env.QUEUE_PREFIX!, port, env };
  liveEnvs.add(bench);
  return bench;
}

/** Everything created by this process, so that `cleanupAll` can undo it even after a failure. */
const liveEnvs = new Set<BenchEnv>();
const liveChildren = new Set<ChildProcess>();
/** Private infrastructure (a Redis Cluster, a PgBouncer) to tear down after the children stopped. */
const cleanupHooks = new Set<() => void | Promise<void>>();

/** Registers `hook` for `cleanupAll` (after the child processes stopped); returns its unregister. */
export function onCleanup(hook: () => void | Promise<void>): () => void {
  cleanupHooks.add(hook);
  return () => cleanupHooks.delete(hook);
}

/**
 * Stops every child process still running, tears down private infrastructure registered with
 * `onCleanup`, and drops every database and queue prefix still registered.
 */
export async function cleanupAll(): Promise<void> {
  await Promise.all([...liveChildren].map((child) => stopProcess(child, 10_000)));
  for (const hook of [...cleanupHooks]) {
    cleanupHooks.delete(hook);
    try {
      await hook();
    } catch (error) {
      console.error("cleanup hook failed:", error);
    }
  }
  for (const bench of [...liveEnvs]) {
    try {
      await cleanup(bench);
    } catch (error) {
      console.error(`cleanup of ${bench.databaseUrl} failed:`, error);
    }
  }
}

export function track(child: ChildProcess): ChildProcess {
  liveChildren.add(child);
  child.on("exit", () => liveChildren.delete(child));
  return child;
}

export function startProcess(script: "src/bin/release.js" | "src/bin/web.js" | "jobs/main.js", env: Record<string, string>): ChildProcess {
  // BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the service processes.
  const nodeArgs = process.env.BENCH_NODE_ARGS?.split(" ").filter(Boolean) ?? [];
  // The rate limiter stays on — its cost is part of every request — but set far above what one machine
  // can send, so it never refuses the benchmark's load. A caller may set its own limits.
  const high = "1000000";
  const limits = { RATE_LIMIT_PER_SECOND: high, RATE_LIMIT_BURST: high, RATE_LIMIT_AUTH_FAILURES_PER_SECOND: high, RATE_LIMIT_INBOUND_PER_SECOND: high };
  return track(spawn(process.execPath, [...nodeArgs, `${DIST}/${script}`], { env: { ...process.env, ...limits, ...env }, stdio: ["ignore", "inherit", "inherit"] }));
}

export async function runRelease(env: Record<string, string>): Promise<void> {
  const child = startProcess("src/bin/release.js", env);
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  if (code !== 0) throw new Error(`release exited ${code}`);
}

export async function waitForHttp(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("web process did not become ready");
}

/** SIGTERM, then SIGKILL after `graceMs` (bounded: a stuck child never hangs the suite). */
export async function stopProcess(child: ChildProcess, graceMs = 30_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}

export async function cleanup(bench: BenchEnv): Promise<void> {
  const client = new pg.Client(connectionConfig(ADMIN_URL));
  await client.connect();
  await client.query(`DROP DATABASE IF EXISTS "${new URL(bench.databaseUrl).pathname.slice(1)}" WITH (FORCE)`);
  await client.end();
  // On a private cluster (the cluster phase) the keys go with the cluster; nothing on the shared Redis.
  if (bench.env.REDIS_CLUSTER_NODES) {
    liveEnvs.delete(bench);
    return;
  }
  const redis = new Redis(REDIS_URL);
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${bench.prefix}:*`, "COUNT", 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== "0");
  redis.disconnect();
  liveEnvs.delete(bench);
}

export interface JsonResponse {
  status: number;
  body: any;
}

export function apiClient(port: number, key: string, connections = 64) {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections, pipelining: 1 });
  return {
    pool,
    authorization: `Bearer ${key}`,
    async call(method: "GET" | "POST", path: string, body?: unknown, headers: Record<string, string> = {}): Promise<JsonResponse> {
      const res = await pool.request({
        method,
        path,
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.body.text();
      return { status: res.statusCode, body: text ? JSON.parse(text) : undefined };
    },
  };
}

export function percentile(sortedMs: number[], p: number): number {
  if (sortedMs.length === 0) return NaN;
  const index = Math.min(sortedMs.length - 1, Math.ceil((p / 100) * sortedMs.length) - 1);
  return sortedMs[Math.max(0, index)]!;
}

export const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

// ───────────────────────────── suite plumbing (bench/run.ts and its scenarios) ─────────────────────────────

/** `BENCH_MODE=smoke` shrinks every phase to a few seconds: proves the suite works, measures nothing. */
export const SMOKE = process.env.BENCH_MODE === "smoke";
/** Seconds for a phase: the full value, or the smoke one. */
export const secs = (full: number, smoke: number) => (SMOKE ? smoke : full);
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A free TCP port on the loopback interface. */

export { freePort };

export interface Latency {
  n: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

export function latency(samples: number[]): Latency {
  const sorted = Float64Array.from(samples).sort();
  const arr = Array.from(sorted);
  return { n: arr.length, p50: percentile(arr, 50), p99: percentile(arr, 99), p999: percentile(arr, 99.9), max: arr.at(-1) ?? NaN };
}

export interface LoadResult {
  /** Successful operations. */
  ok: number;
  errors: number;
  /** Errors where the connection itself failed (reset, closed under a request): a keep-alive race. */
  socketErrors: number;
  /** Open loop only: sends the generator refused because `maxInFlight` was reached (counted as errors too). */
  shed: number;
  seconds: number;
  /** Successful operations per second of wall time. */
  rate: number;
  latency: Latency;
  firstError?: string;
}

const SOCKET_ERRORS = new Set(["UND_ERR_SOCKET", "ECONNRESET", "EPIPE", "UND_ERR_CLOSED"]);
/** A request that failed because its connection did (undici puts the socket's code on `cause`). */
export function isSocketError(error: unknown): boolean {
  for (let e = error as { code?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e) if (e.code && SOCKET_ERRORS.has(e.code)) return true;
  return false;
}

/**
 * Closed loop: `clients` concurrent loops, each sending its next request when the previous answered,
 * until `ms` elapsed. Latency from send to answer.
 */
export async function closedLoop(clients: number, ms: number, op: (client: number, i: number) => Promise<void>): Promise<LoadResult> {
  const samples: number[] = [];
  let errors = 0;
  let socketErrors = 0;
  let firstError: string | undefined;
  const started = performance.now();
  const deadline = started + ms;
  await Promise.all(
    Array.from({ length: clients }, async (_, client) => {
      for (let i = 0; performance.now() < deadline; i++) {
        const t = performance.now();
        try {
          await op(client, i);
          samples.push(performance.now() - t);
        } catch (error) {
          errors++;
          if (isSocketError(error)) socketErrors++;
          firstError ??= String(error);
          if (errors > 1000 && errors > samples.length) throw new Error(`too many errors, first: ${firstError}`);
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { ok: samples.length, errors, socketErrors, shed: 0, seconds, rate: samples.length / seconds, latency: latency(samples), ...(firstError ? { firstError } : {}) };
}

/**
 * Open loop: request i is due at t0 + i/rate whatever happened to the others (a fixed arrival rate),
 * and its latency is measured from that scheduled time, not from when it was actually sent. A stalled
 * service (or a stalled generator) therefore shows up in the figures instead of silently lowering the
 * offered load — no coordinated omission. The scheduler wakes at most every 1–10 ms and sends every
 * request that has come due. Bounded: stops scheduling after `ms`, then waits at most `drainMs` for the
 * requests in flight; above `maxInFlight` outstanding requests a due request is shed (counted).
 */
export async function openLoop(
  ratePerSecond: number,
  ms: number,
  op: (i: number) => Promise<void>,
  options: { maxInFlight?: number; drainMs?: number } = {},
): Promise<LoadResult & { offeredRate: number }> {
  const maxInFlight = options.maxInFlight ?? 4096;
  const total = Math.max(1, Math.floor((ratePerSecond * ms) / 1000));
  const interval = 1000 / ratePerSecond;
  const samples: number[] = [];
  let errors = 0;
  let socketErrors = 0;
  let shed = 0;
  let inFlight = 0;
  let firstError: string | undefined;
  const t0 = performance.now() + 5;
  let next = 0;
  while (next < total) {
    const now = performance.now();
    while (next < total && t0 + next * interval <= now) {
      const scheduled = t0 + next * interval;
      const i = next++;
      if (inFlight >= maxInFlight) {
        shed++;
        continue;
      }
      inFlight++;
      op(i).then(
        () => {
          samples.push(performance.now() - scheduled);
          inFlight--;
        },
        (error) => {
          errors++;
          if (isSocketError(error)) socketErrors++;
          firstError ??= String(error);
          inFlight--;
        },
      );
    }
    const wait = t0 + next * interval - performance.now();
    await sleep(Math.max(1, Math.min(10, wait)));
  }
  const drainDeadline = performance.now() + (options.drainMs ?? 30_000);
  while (inFlight > 0 && performance.now() < drainDeadline) await sleep(5);
  const seconds = (performance.now() - t0) / 1000;
  return {
    ok: samples.length,
    errors: errors + shed + inFlight,
    socketErrors,
    shed,
    seconds,
    rate: samples.length / seconds,
    offeredRate: ratePerSecond,
    latency: latency(samples),
    ...(firstError ? { firstError } : {}),
  };
}

// ── /proc accounting ──

const CLK_TCK = 100; // Linux USER_HZ; `getconf CLK_TCK` is 100 on every mainstream kernel build.

/** utime + stime of one process, in seconds (fields 14 and 15 of /proc/<pid>/stat). */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return 0; // exited
  }
}

export function rssBytes(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Every process whose command name is `comm` (e.g. all `postgres` backends, `redis-server`). */
export function pidsByName(comm: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, "utf8").trim() === comm) pids.push(Number(entry));
    } catch {
      // gone
    }
  }
  return pids;
}

export type PidGroups = Record<string, () => number[]>;

/**
 * CPU seconds used by groups of processes between `start()` and `stop()`: per pid, the utime+stime
 * delta (a pid first seen at `stop()` counts from zero; one that exited in between is lost, which for
 * pooled connections does not happen). Postgres and Redis are measured by name, machine-wide: anything
 * else using them in the window is counted too, so the machine must be otherwise idle.
 */
export class CpuMeter {
  private before = new Map<string, Map<number, number>>();
  private t0 = 0;
  constructor(private readonly groups: PidGroups) {}

  start(): void {
    this.t0 = performance.now();
    for (const [name, pids] of Object.entries(this.groups)) this.before.set(name, new Map(pids().map((pid) => [pid, cpuSeconds(pid)])));
  }

  /** CPU seconds per group, and the wall seconds of the window. */
  stop(): { wallSeconds: number; cpuSeconds: Record<string, number> } {
    const out: Record<string, number> = {};
    for (const [name, pids] of Object.entries(this.groups)) {
      const before = this.before.get(name)!;
      out[name] = pids().reduce((sum, pid) => sum + Math.max(0, cpuSeconds(pid) - (before.get(pid) ?? 0)), 0);
    }
    return { wallSeconds: (performance.now() - this.t0) / 1000, cpuSeconds: out };
  }
}

// ── the service under test ──

export interface Service {
  bench: BenchEnv;
  /** The first web process (`webs[0]`). */
  web: ChildProcess;
  /** Every web process, each on its own port (`ports`). */
  webs: ChildProcess[];
  ports: number[];
  workers: ChildProcess[];
  merchant: CreatedMerchant;
  db: Db;
  adminToken: string;
  /** Effective configuration of the service processes (defaults + environment). */
  config: Record<string, string | number>;
  /** A client of the first web process (`apis[0]`). */
  api: ReturnType<typeof apiClient>;
  /** One client per web process, in the order of `webs`: a load generator alternates between them. */
  apis: ReturnType<typeof apiClient>[];
  stop(): Promise<void>;
}

/** The knobs reported with every run. */
const REPORTED_KNOBS = ["WORKER_CONCURRENCY", "DATABASE_POOL_SIZE", "WEBHOOK_DELIVERY_CONCURRENCY", "WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT", "WEBHOOK_RELAY_INTERVAL_MS", "REQUEST_TIMEOUT_MS", "SWEEP_INTERVAL_MS"] as const;

export function effectiveConfig(env: Record<string, string>, workers: number, webs = 1): Record<string, string | number> {
  const config = loadConfig({ ...process.env, ...env });
  const out: Record<string, string | number> = { web_processes: webs, worker_processes: workers };
  for (const knob of REPORTED_KNOBS) out[knob] = config[knob] as number;
  return out;
}

export interface ServiceOptions {
  /** Worker processes (default `WORKERS`, else 1). */
  workers?: number;
  /** Web processes, each on a port of its own (default 1). */
  webs?: number;
  /** Extra environment of the service processes (and release). */
  env?: Record<string, string>;
  /** Keep-alive connections of each web process's client. */
  connections?: number;
  /**
   * The DATABASE_URL the service processes (and release) get, from the direct one, e.g. a PgBouncer's.
   * The benchmark's own connections (seeding, cleanup) stay direct.
   */
  serviceDatabaseUrl?: (directUrl: string) => string;
}

/**
 * A throwaway deployment: its own `lr_bench_*` database (real migrations via release.js) and queue
 * prefix, one web process (or `webs`) and `WORKERS` worker processes (default 1), a merchant. Service
 * knobs come from the environment (e.g. WORKER_CONCURRENCY=32 DATABASE_POOL_SIZE=20 npm run bench).
 */
export async function startService(options: ServiceOptions = {}): Promise<Service> {
  const workerCount = options.workers ?? Number(process.env.WORKERS ?? 1);
  const webCount = options.webs ?? 1;
  const adminToken = randomBytes(16).toString("hex");
  const bench = benchEnv(await freePort(), { ADMIN_TOKEN: adminToken, ...options.env });
  if (options.serviceDatabaseUrl) bench.env.DATABASE_URL = options.serviceDatabaseUrl(bench.databaseUrl);
  await runRelease(bench.env);
  const db = createDb(bench.databaseUrl, 4);
  const merchant = await createMerchant(db, "bench");
  const ports = [bench.port];
  while (ports.length < webCount) ports.push(await freePort());
  const webs = ports.map((port) => startProcess("src/bin/web.js", { ...bench.env, PORT: String(port) }));
  const workers = Array.from({ length: workerCount }, () => startProcess("jobs/main.js", bench.env));
  await Promise.all(ports.map((port) => waitForHttp(port)));
  const apis = ports.map((port) => apiClient(port, merchant.secret_key_test, options.connections ?? 128));
  return {
    bench,
    web: webs[0]!,
    webs,
    ports,
    workers,
    merchant,
    db,
    adminToken,
    api: apis[0]!,
    apis,
    config: effectiveConfig(bench.env, workerCount, webCount),
    async stop() {
      await Promise.all(apis.map((api) => api.pool.close().catch(() => {})));
      await Promise.all([...webs.map((web) => stopProcess(web)), ...workers.map((worker) => stopProcess(worker))]);
      await db.destroy();
      await cleanup(bench);
    },
  };
}

/** Accounts inserted directly (with their `earn` ledger rows, so balance = Σ ledger holds). */
export async function seedAccounts(db: Db, merchantId: string, count: number, balance: number, idOf: (i: number) => string = () => newId("account")): Promise<string[]> {
  const ids = Array.from({ length: count }, (_, i) => idOf(i));
  for (let at = 0; at < ids.length; at += 5000) {
    const chunk = ids.slice(at, at + 5000);
    await sql`INSERT INTO loyalty_accounts (id, merchant_id, livemode, customer, balance, lifetime_points)
      SELECT id, ${merchantId}, false, id, ${balance}, ${balance} FROM unnest(${chunk}::text[]) AS id`.execute(db);
    await sql`INSERT INTO points_transactions (id, merchant_id, livemode, account_id, type, amount, balance_after, reason)
      SELECT 'ptx_' || substr(md5(id), 1, 24), ${merchantId}, false, id, 'earn', ${balance}, ${balance}, 'bench seed' FROM unnest(${chunk}::text[]) AS id`.execute(db);
  }
  return ids;
}

/** A discount reward costing 1 point, unlimited inventory: the common create path. */
export async function seedReward(db: Db, merchantId: string, id = newId("reward")): Promise<string> {
  await sql`INSERT INTO rewards (id, merchant_id, livemode, name, type, cost, value)
    VALUES (${id}, ${merchantId}, false, 'EUR 5 off', 'discount_amount', 1, '{"amount": 500, "currency": "EUR"}')`.execute(db);
  return id;
}

/** One redemption create through the real API (a fresh idempotency key): its status and body. */
export async function createRedemption(api: Service["api"], account: string, reward: string): Promise<{ status: number; text: string }> {
  const res = await api.pool.request({
    method: "POST",
    path: "/v1/loyalty/redemptions",
    headers: { authorization: api.authorization, "content-type": "application/json", "idempotency-key": randomUUID() },
    body: JSON.stringify({ account, reward }),
  });
  return { status: res.statusCode, text: await res.body.text() };
}

/** One redemption create through the real API; throws unless 201. */
export async function redeem(api: Service["api"], account: string, reward: string): Promise<void> {
  const { status, text } = await createRedemption(api, account, reward);
  if (status !== 201) throw new Error(`redemption ${status}: ${text.slice(0, 200)}`);
}

/** A Prometheus gauge of the web process (`/metrics`), e.g. `nodejs_heap_size_used_bytes`. */
export async function scrapeMetric(service: Service, name: string): Promise<number> {
  const res = await service.api.pool.request({ method: "GET", path: "/metrics", headers: { authorization: `Bearer ${service.adminToken}` } });
  const text = await res.body.text();
  const match = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, "m").exec(text);
  if (!match) throw new Error(`metric ${name} not found (${res.statusCode})`);
  return Number(match[1]);
}

/** `INFO <section>` of the shared Redis as a map. */
export async function redisInfo(section: string): Promise<Record<string, string>> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const text = await redis.info(section);
    return Object.fromEntries(text.split("\r\n").filter((line) => line.includes(":")).map((line) => line.split(/:(.*)/s).slice(0, 2) as [string, string]));
  } finally {
    redis.disconnect();
  }
}

/** Waits until `done()` or `ms` passed; returns whether it became true. Polls every `everyMs`. */
export async function waitUntil(done: () => Promise<boolean>, ms: number, everyMs = 50): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (performance.now() < deadline) {
    if (await done()) return true;
    await sleep(everyMs);
  }
  return done();
}

/** Starts `dist/<script>` (a bench helper) and waits (bounded) for it to print `ready` on stdout. */
export async function startHelper(script: string, args: string[] = [], env: Record<string, string> = {}): Promise<ChildProcess> {
  const child = track(spawn(process.execPath, [`${DIST}/${script}`, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] }));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start`)), 15_000);
    child.stdout!.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes("ready")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => reject(new Error(`${script} exited ${code}`)));
  });
  child.stdout!.resume();
  return child;
}
