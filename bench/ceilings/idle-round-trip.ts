import { performance } from "node:perf_hooks";
import { Redis } from "ioredis";
import pg from "pg";
import { connectionConfig } from "../../src/db/client.js";
import { ADMIN_URL, percentile, REDIS_URL, secs, sleep } from "../lib.js";

export interface IdleRoundTrip {
  /** How long caller and callee sat idle before each round trip. */
  pauseMs: number;
  postgresP50Ms: number;
  redisP50Ms: number;
}

/**
 * The latency floor a lone request stands on: one round trip (Postgres `SELECT 1`, Redis `PING`) back
 * to back, and after both ends have been idle for a moment — what each hop of a lone redemption meets,
 * since every process it passes through has been asleep since the previous request. On a VM, waking an
 * idle vCPU costs far more than the work itself, so this is a property of the machine, not the service.
 */
export async function idleRoundTrips(): Promise<IdleRoundTrip[]> {
  const client = new pg.Client(connectionConfig(ADMIN_URL));
  await client.connect();
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1, commandTimeout: 2_000 });
  try {
    const rows: IdleRoundTrip[] = [];
    for (const pauseMs of [0, 1, 10]) {
      const postgres = await timeRoundTrips(pauseMs, () => client.query("SELECT 1"));
      const redisMs = await timeRoundTrips(pauseMs, () => redis.ping());
      rows.push({ pauseMs, postgresP50Ms: postgres, redisP50Ms: redisMs });
    }
    return rows;
  } finally {
    await client.end();
    redis.disconnect();
  }
}

/** p50 of `samples` round trips, each after `pauseMs` of idleness (after a short warm-up). */
async function timeRoundTrips(pauseMs: number, roundTrip: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 50; i++) await roundTrip();
  const samples: number[] = [];
  for (let i = 0; i < secs(400, 40); i++) {
    if (pauseMs > 0) await sleep(pauseMs);
    const startedAt = performance.now();
    await roundTrip();
    samples.push(performance.now() - startedAt);
  }
  return percentile(samples.sort((a, b) => a - b), 50);
}

/**
 * The round trips a lone redemption makes one after another (src/http/idempotency.ts, jobs/, and
 * `npm run bench:round-trips`): Postgres — the web's pending-row INSERT, the worker's BEGIN, request
 * lock, reward read, create statement and COMMIT, the web's outcome read; Redis — the rate limiter, the
 * job add, the worker's wake-up, its fetch and the second fetch BullMQ awaits before it starts the job
 * (its other slots find nothing), the outcome notice published after the COMMIT. The job's finish
 * runs beside the web's outcome read, off the path.
 */
export const LONE_REDEMPTION_HOPS = { postgres: 7, redis: 6 };

/**
 * Hops × round trip after `pauseMs` of idleness: what the hops alone cost a lone redemption, HTTP, SQL
 * execution and JavaScript excluded. Which pause a hop meets depends on how long its callee slept (the
 * web and its connections since the previous request, the worker's connection between statements only
 * briefly), so the 1 ms and 10 ms rows bracket it.
 */
export function hopFloorMs(rows: IdleRoundTrip[], pauseMs: number): number | undefined {
  const row = rows.find((candidate) => candidate.pauseMs === pauseMs);
  return row && LONE_REDEMPTION_HOPS.postgres * row.postgresP50Ms + LONE_REDEMPTION_HOPS.redis * row.redisP50Ms;
}
