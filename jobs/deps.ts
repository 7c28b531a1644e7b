import type { Logger } from "pino";
import type { Config } from "../src/config.js";
import { createDb, DEFAULT_DB_TIMEOUTS } from "../src/db/client.js";
import { DependencyMonitor, describeTarget } from "../src/ops/dependency-monitor.js";
import type { Db } from "../src/db/database.js";
import { createLogger } from "../src/logger.js";
import { closeQueues, createQueues, type Queues } from "../src/queue/producer.js";
import { createRedis, describeRedis, type RedisClient } from "../src/queue/redis.js";
import { createWebhookDispatcher } from "../src/webhooks/sender.js";
import { parseAllowList, type AllowList } from "../src/webhooks/ssrf-guard.js";
import type { Dispatcher } from "undici";
import { MicroBatch } from "../src/batching/micro-batch.js";
import { executePendingRequests, type RequestRunResult } from "../src/domain/requests/execute-request-batch.js";

export interface WorkerDeps {
  config: Config;
  db: Db;
  /** For jobs that enqueue follow-up jobs (and for sweepers). */
  queues: Queues;
  redis: RedisClient;
  logger: Logger;
  /** Reports Postgres and Redis outages once each, for every part of the worker. */
  monitor: DependencyMonitor;
  /**
   * Runs stored requests; the requests of jobs running at the same moment share one transaction (group
   * commit). A few groups at once keep Postgres's cores busy while one group waits for its COMMIT.
   */
  requestRuns: MicroBatch<{ id: string; merchant: string }, RequestRunResult>;
  /** Outbound webhook HTTP: a dispatcher that only connects to addresses the SSRF guard permits. */
  webhooks: { dispatcher: Dispatcher; allow: AllowList };
}

export function buildWorkerDeps(config: Config): WorkerDeps {
  const logger = createLogger(config.LOG_LEVEL, { process: "worker" });
  const monitor = new DependencyMonitor(logger, {
    postgres: describeTarget(config.DATABASE_URL, "DATABASE_URL"),
    redis: describeRedis(config, describeTarget),
  });
  const redis = createRedis(config, "producer", monitor);
  const db = createDb(config.DATABASE_URL, config.DATABASE_POOL_SIZE, DEFAULT_DB_TIMEOUTS, monitor, config.DATABASE_POOLING);
  monitor.start({ db, redis });
  const allow = parseAllowList(config.WEBHOOK_ALLOW_HOSTS);
  const runSettings = { pendingTtlSeconds: config.REDEMPTION_PENDING_TTL_SECONDS, logger };
  return {
    requestRuns: new MicroBatch({
      // Small enough that a group takes a few milliseconds: a request arriving behind a full one waits
      // that long, not for hundreds of others' statements.
      maxSize: 32,
      maxWaitMs: 0,
      maxInFlight: Math.max(1, Math.min(4, Math.floor(config.DATABASE_POOL_SIZE / 2))),
      // A merchant's backlog must not fill every transaction: the others' requests go in the next one.
      ownerOf: (request) => request.merchant,
      run: async (requests) => {
        const results = await executePendingRequests(db, requests.map((request) => request.id), runSettings);
        return requests.map((request) => results.get(request.id)!);
      },
    }),
    config,
    db,
    queues: createQueues(redis, config.QUEUE_PREFIX, monitor, config.QUEUE_PARTITIONS),
    redis,
    logger,
    monitor,
    webhooks: { dispatcher: createWebhookDispatcher(allow, config.WEBHOOK_TIMEOUT_MS), allow },
  };
}

export async function closeWorkerDeps(deps: WorkerDeps): Promise<void> {
  deps.monitor.stop();
  await Promise.allSettled([closeQueues(deps.queues), deps.db.destroy(), deps.webhooks.dispatcher.close()]);
  deps.redis.disconnect();
}
