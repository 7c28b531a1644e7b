import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { inject } from "vitest";
import { buildWorkerDeps, closeWorkerDeps, type WorkerDeps } from "../../jobs/deps.js";
import { startWorkers, type RunningWorkers } from "../../jobs/worker.js";
import { loadConfig, type Config } from "../../src/config.js";
import { createMerchant, type CreatedMerchant } from "../../src/domain/merchants/merchants.js";
import { createApp } from "../../src/http/app.js";
import { buildAppDeps, closeAppDeps } from "../../src/http/deps.js";
import type { AppDeps } from "../../src/http/env.js";
import type { Router } from "../../src/http/router.js";
import { databaseUrl, dropDatabase, withAdmin } from "./databases.js";

export const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

export interface Harness {
  config: Config;
  app: Router;
  deps: AppDeps;
  workerDeps: WorkerDeps;
  workers: RunningWorkers | null;
  merchant: CreatedMerchant;
  /** Calls the app in-process with the merchant's test key unless `key` says otherwise. */
  api: (method: string, path: string, options?: ApiOptions) => Promise<ApiResponse>;
  startWorkers: () => void;
  stopWorkers: () => Promise<void>;
  /** Deletes this harness's queue keys (what a Redis loss does to us). */
  flushQueues: () => Promise<void>;
  close: () => Promise<void>;
}

export interface ApiOptions {
  key?: string | null;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
  idempotencyKey?: string;
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  text: string;
  body: any;
}

/**
 * A real app and real workers on a fresh database (cloned from the migrated template) and a unique
 * queue prefix, so test files run in parallel without seeing each other.
 */
/** A fresh database cloned from the migrated template, and a unique queue prefix. */
export async function createTestEnvironment(): Promise<{ suffix: string; dbName: string; databaseUrl: string; queuePrefix: string }> {
  const suffix = randomBytes(5).toString("hex");
  const dbName = `lr_test_${suffix}`;
  await withAdmin((client) => client.query(`CREATE DATABASE "${dbName}" TEMPLATE "${inject("templateDatabase")}"`));
  return { suffix, dbName, databaseUrl: databaseUrl(dbName), queuePrefix: `lrt_${suffix}` };
}

export async function destroyTestEnvironment(environment: { dbName: string; queuePrefix: string }): Promise<void> {
  await deleteKeys(environment.queuePrefix);
  await withAdmin((client) => dropDatabase(client, environment.dbName));
}

export interface HarnessOptions {
  workers?: boolean;
  /**
   * The service's DATABASE_URL given the test database's direct URL (e.g. the same database through a
   * private PgBouncer: scripts/dev/private-pgbouncer.ts); pass DATABASE_POOLING in `overrides` to match.
   * Creating and dropping the database always go straight to Postgres.
   */
  databaseUrl?: (directUrl: string) => string;
}

export async function startHarness(overrides: Record<string, string> = {}, options: HarnessOptions = {}): Promise<Harness> {
  const { suffix, dbName } = await createTestEnvironment();
  const config = loadConfig({
    DATABASE_URL: (options.databaseUrl ?? ((url: string) => url))(databaseUrl(dbName)),
    REDIS_URL,
    QUEUE_PREFIX: `lrt_${suffix}`,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    REQUEST_TIMEOUT_MS: "10000",
    WORKER_CONCURRENCY: "8",
    // In-process requests outrun any sensible limit; rate-limits.test.ts turns the limits on.
    RATE_LIMIT_PER_SECOND: "0",
    RATE_LIMIT_AUTH_FAILURES_PER_SECOND: "0",
    RATE_LIMIT_INBOUND_PER_SECOND: "0",
    ...overrides,
  });
  const deps = buildAppDeps(config);
  const app = createApp(deps);
  const workerDeps = buildWorkerDeps(config);
  const merchant = await createMerchant(deps.db, "Test merchant");
  await deps.outcomes.waitUntilReady();

  const harness: Harness = {
    config,
    app,
    deps,
    workerDeps,
    workers: null,
    merchant,
    api: async (method, path, opts = {}) => {
      const headers: Record<string, string> = { ...opts.headers };
      const key = opts.key === undefined ? merchant.secret_key_test : opts.key;
      if (key !== null) headers.authorization = `Bearer ${key}`;
      if (opts.idempotencyKey !== undefined) headers["idempotency-key"] = opts.idempotencyKey;
      let body: string | undefined = opts.rawBody;
      if (opts.body !== undefined) body = JSON.stringify(opts.body);
      if (body !== undefined && !("content-type" in headers)) headers["content-type"] = "application/json";
      const response = await app.request(path, { method, headers, ...(body === undefined ? {} : { body }) });
      const text = await response.text();
      let parsed: unknown;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = undefined;
      }
      return { status: response.status, headers: response.headers, text, body: parsed };
    },
    startWorkers: () => {
      harness.workers ??= startWorkers(workerDeps, { sweepers: false });
    },
    stopWorkers: async () => {
      await harness.workers?.close();
      harness.workers = null;
    },
    flushQueues: () => deleteKeys(config.QUEUE_PREFIX),
    close: async () => {
      await harness.stopWorkers();
      await closeAppDeps(deps);
      await closeWorkerDeps(workerDeps);
      await deleteKeys(config.QUEUE_PREFIX);
      await withAdmin((client) => dropDatabase(client, dbName));
    },
  };
  if (options.workers !== false) harness.startWorkers();
  return harness;
}

async function deleteKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
}
