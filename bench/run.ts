/**
 * The benchmark suite: ceilings and scenarios measured in one run, on this machine, written to
 * BENCHMARKS.md (and the raw figures to bench/last-run.json).
 *
 *   npm run bench          full run (≈ 12–14 min including a 6-minute soak; SOAK_SECONDS to change)
 *   npm run bench:smoke    BENCH_MODE=smoke: every phase a few seconds; proves the suite, measures nothing
 *
 * Loopback only; every database (lr_bench_*) and queue prefix it creates is dropped at the end, also on
 * failure, on SIGINT/SIGTERM and when the overall deadline (BENCH_DEADLINE_SECONDS) passes.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { connectionConfig } from "../src/db/client.js";
import { bullmqCeiling } from "./ceilings/bullmq.js";
import { diskFlushCeiling } from "./ceilings/disk-flush.js";
import { httpCeiling } from "./ceilings/http.js";
import { idleRoundTrips } from "./ceilings/idle-round-trip.js";
import { pgbenchCeilings } from "./ceilings/pgbench.js";
import { ADMIN_URL, cleanupAll, redisInfo, SMOKE, startService } from "./lib.js";
import { renderReport, type Results } from "./report.js";
import { seedRedemptions } from "./scenarios/context.js";
import { s1Latency } from "./scenarios/s1-latency.js";
import { s2Cluster } from "./scenarios/s2-cluster.js";
import { s2Throughput } from "./scenarios/s2-throughput.js";
import { s3Hot } from "./scenarios/s3-hot.js";
import { s4Inbound } from "./scenarios/s4-inbound.js";
import { s5Deliveries } from "./scenarios/s5-deliveries.js";
import { queueMemory, soak } from "./scenarios/s6-memory.js";
import { s7NoisyNeighbour, s7Uncapped } from "./scenarios/s7-noisy-neighbour.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const deadlineSeconds = Number(process.env.BENCH_DEADLINE_SECONDS ?? (SMOKE ? 600 : 1500));
const startedAt = new Date();
const t0 = performance.now();

let exiting = false;
async function abort(reason: string, code: number) {
  if (exiting) return;
  exiting = true;
  console.error(`bench: ${reason}; cleaning up`);
  await cleanupAll().catch((error) => console.error(error));
  process.exit(code);
}
process.on("SIGINT", () => void abort("interrupted", 130));
process.on("SIGTERM", () => void abort("terminated", 143));
const deadline = setTimeout(() => void abort(`deadline of ${deadlineSeconds} s passed`, 1), deadlineSeconds * 1000);
deadline.unref();

const log = (message: string) => console.log(`[${((performance.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${message}`);

async function machine(): Promise<Results["machine"]> {
  const cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
  const client = new pg.Client(connectionConfig(ADMIN_URL));
  await client.connect();
  const pgVersion = (await client.query("SHOW server_version")).rows[0].server_version as string;
  const maxConnections = (await client.query("SHOW max_connections")).rows[0].max_connections as string;
  await client.end();
  const redis = await redisInfo("server");
  const pkg = JSON.parse(readFileSync(`${ROOT}/package.json`, "utf8"));
  const installed = (name: string) => {
    try {
      return JSON.parse(readFileSync(`${ROOT}/node_modules/${name}/package.json`, "utf8")).version as string;
    } catch {
      return "?";
    }
  };
  let nproc = String(cpus().length);
  try {
    nproc = execFileSync("nproc").toString().trim();
  } catch {
    // keep os.cpus()
  }
  return {
    nproc,
    cpuModel: /model name\s*:\s*(.+)/.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? "?",
    memoryGiB: totalmem() / 2 ** 30,
    loadAverageAtStart: readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" "),
    kernel: readFileSync("/proc/sys/kernel/osrelease", "utf8").trim(),
    node: process.version,
    postgres: `${pgVersion} (max_connections ${maxConnections})`,
    redis: `${redis.redis_version} (${redis.redis_mode ?? "standalone"})`,
    packages: Object.fromEntries(["hono", "@hono/node-server", "bullmq", "ioredis", "kysely", "pg", "undici"].map((name) => [name, `${installed(name)} (package.json ${pkg.dependencies[name]})`])),
    gitCommit: (() => {
      try {
        return execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT }).toString().trim();
      } catch {
        return "?";
      }
    })(),
  };
}

const results: Results = {
  mode: SMOKE ? "smoke" : "full",
  command: SMOKE ? "npm run bench:smoke" : "npm run bench",
  env: Object.fromEntries(["BENCH_MODE", "WORKERS", "WORKER_CONCURRENCY", "DATABASE_POOL_SIZE", "WEBHOOK_DELIVERY_CONCURRENCY", "WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT", "SOAK_SECONDS", "S2_CLIENTS", "BENCH_NODE_ARGS"].filter((k) => process.env[k]).map((k) => [k, process.env[k]!])),
  startedAt: startedAt.toISOString(),
  machine: await machine(),
  ceilings: {},
  scenarios: {},
  errors: [],
};

/** BENCH_ONLY=pgbench,s2,s7 runs only those phases (keys: pgbench hono raw bullmq hops flush s1 … s7 s2cluster soak memory). */
const only = process.env.BENCH_ONLY?.split(",").map((key) => key.trim().toLowerCase());
async function phase<T>(name: string, run: () => Promise<T>, key?: string): Promise<T | undefined> {
  if (only && key !== undefined && !only.includes(key)) return undefined;
  log(`${name} …`);
  try {
    const value = await run();
    log(`${name} done`);
    return value;
  } catch (error) {
    console.error(`${name} failed:`, error);
    results.errors.push(`${name}: ${String((error as Error)?.message ?? error).slice(0, 500)}`);
    return undefined;
  }
}

try {
  const pgb = await phase("ceiling: pgbench", pgbenchCeilings, "pgbench");
  if (pgb) results.ceilings.pgbench = { uniform: pgb.uniform, hot: pgb.hot };
  results.ceilings.hono = await phase("ceiling: Hono hello-world", () => httpCeiling("hono"), "hono");
  results.ceilings.rawPost = await phase("ceiling: raw undici POST", () => httpCeiling("raw"), "raw");
  results.ceilings.bullmq = await phase("ceiling: BullMQ round trip", () => bullmqCeiling(32, Number(process.env.WORKER_CONCURRENCY ?? 16)), "bullmq");
  results.ceilings.idleRoundTrips = await phase("ceiling: idle round trips", idleRoundTrips, "hops");
  results.ceilings.diskFlush = await phase("ceiling: disk flush", diskFlushCeiling, "flush");

  const svc = await phase("service: start", () => startService());
  if (svc) {
    results.config = svc.config;
    try {
      const ctx = await seedRedemptions(svc);
      results.scenarios.s2 = await phase("S2 throughput", () => s2Throughput(ctx), "s2");
      const s2Max = results.scenarios.s2?.rate ?? 100;
      results.scenarios.s1 = await phase("S1 latency", () => s1Latency(ctx, s2Max), "s1");
      results.scenarios.s3 = await phase("S3 hot account", () => s3Hot(ctx), "s3");
      results.scenarios.s7uncapped = await phase("S7 noisy neighbour, uncapped", () => s7Uncapped(ctx, s2Max), "s7");
      results.scenarios.s4 = await phase("S4 inbound webhooks", () => s4Inbound(svc), "s4");
      results.scenarios.soak = await phase("S6 soak", () => soak(ctx, Math.max(1, Math.round(s2Max * 0.25))), "soak");
    } finally {
      await phase("service: stop", () => svc.stop());
    }
  }
  // After the main service stopped: S7's verdict case on a service of its own with the shipped rate limits.
  results.scenarios.s7 = await phase("S7 noisy neighbour at the rate limit", () => s7NoisyNeighbour(results.scenarios.s2?.rate ?? 100), "s7");
  // 2 web + 2 worker processes on a private Redis Cluster and PgBouncer.
  results.scenarios.s2cluster = await phase("S2 on Redis Cluster + PgBouncer", () => s2Cluster(), "s2cluster");
  results.scenarios.s5 = await phase("S5 outbound deliveries", s5Deliveries, "s5");
  results.scenarios.queueMemory = await phase("S6 queue memory", queueMemory, "memory");
} finally {
  await cleanupAll();
  results.seconds = (performance.now() - t0) / 1000;
  writeFileSync(`${ROOT}/bench/last-run.json`, JSON.stringify(results, null, 2));
  writeFileSync(`${ROOT}/BENCHMARKS.md`, renderReport(results));
  log(`wrote BENCHMARKS.md and bench/last-run.json${results.errors.length ? ` (${results.errors.length} phase(s) failed)` : ""}`);
  clearTimeout(deadline);
}
process.exit(results.errors.length ? 1 : 0);
