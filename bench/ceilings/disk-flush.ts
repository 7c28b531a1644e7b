import { mkdtempSync, openSync, rmSync, statSync, writeSync, fdatasyncSync, closeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import pg from "pg";
import { connectionConfig } from "../../src/db/client.js";
import { ADMIN_URL, percentile, secs, sleep } from "../lib.js";

export interface DiskFlushCeiling {
  seconds: number;
  flushes: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  /** Flushes slower than S1's p99 target (25 ms): each one holds every commit waiting behind it. */
  over25Ms: number;
  /** Whether the probe file sat on the device that holds Postgres's data directory (and so its WAL). */
  sameDeviceAsPostgres: boolean | undefined;
}

/**
 * The disk's flush latency: 8 KiB written and `fdatasync`ed (Postgres's `wal_sync_method` here), every
 * 2 ms for 20 s (smoke 3 s). Every commit waits for its WAL to be flushed like this, and a group
 * commit's requests wait for the same flush, so one slow flush stalls every request in flight at that
 * moment for as long as it lasts. A floor under the commit path, not a prediction of S1's p99.
 */
export async function diskFlushCeiling(): Promise<DiskFlushCeiling> {
  const seconds = secs(20, 3);
  const dir = mkdtempSync(join(tmpdir(), "bench-flush-"));
  const fd = openSync(join(dir, "probe.bin"), "w");
  const page = Buffer.alloc(8192, 1);
  const samples: number[] = [];
  try {
    const endAt = performance.now() + seconds * 1000;
    for (let i = 0; performance.now() < endAt; i++) {
      const startedAt = performance.now();
      writeSync(fd, page, 0, page.length, (i % 1024) * page.length);
      fdatasyncSync(fd);
      samples.push(performance.now() - startedAt);
      await sleep(2);
    }
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
  samples.sort((a, b) => a - b);
  return {
    seconds,
    flushes: samples.length,
    p50Ms: percentile(samples, 50),
    p99Ms: percentile(samples, 99),
    p999Ms: percentile(samples, 99.9),
    maxMs: samples.at(-1) ?? 0,
    over25Ms: samples.filter((ms) => ms > 25).length,
    sameDeviceAsPostgres: await onPostgresDevice(),
  };
}

async function onPostgresDevice(): Promise<boolean | undefined> {
  const client = new pg.Client(connectionConfig(ADMIN_URL));
  try {
    await client.connect();
    const { rows } = await client.query<{ data_directory: string }>("SHOW data_directory");
    return statSync(rows[0]!.data_directory).dev === statSync(tmpdir()).dev;
  } catch {
    return undefined; // not a superuser, or Postgres on another machine: unknown, and said so
  } finally {
    await client.end().catch(() => {});
  }
}
