import type { Logger } from "pino";
import type { Config } from "../src/config.js";
import { createDb, DEFAULT_DB_TIMEOUTS } from "../src/db/client.js";
import { DependencyMonitor, describeTarget } from "../src/ops/dependency-monitor.js";
import type { Db } from "../src/db/database.js";
import { createLogger } from "../src/logger.js";
import { closeQueues, createQueues, type Queues } from "../src/queue/producer.js";
import { announceOutcomes } from "../src/queue/outcome-notices.js";
import { createRedis, describeRedis, type RedisClient } from "../src/queue/redis.js";
import { createWebhookDispatcher } from "../src/webhooks/sender.js";
import { parseAllowList, type AllowList } from "../src/webhooks/ssrf-guard.js";
import type { Dispatcher } from "undici";
import { MicroBatch } from "../src/batching/micro-batch.js";
import { executePendingRequests, type RequestRunResult } from "../src/domain/requests/execute-request-batch.js";
import { recordAttempts, type AttemptOutcome, type ClaimedDelivery, type RecordedAttempt } from "../src/domain/webhooks/deliveries.js";
import { countAttempts } from "../src/webhooks/attempt-counts.js";

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
  /**
   * Outbound webhook HTTP: a dispatcher that only connects to addresses the SSRF guard permits; and
   * the attempts log, where the outcomes of sends that finish at the same moment (any endpoint, any
   * job) are recorded in one statement.
   */
  webhooks: { dispatcher: Dispatcher; allow: AllowList; attempts: MicroBatch<{ delivery: ClaimedDelivery; result: AttemptOutcome }, RecordedAttempt> };
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
        // The waiting handlers read their answers now, while BullMQ finishes the jobs.
        announceOutcomes(redis, config.QUEUE_PREFIX, [...results].filter(([, result]) => result.ok).map(([id]) => id));
        return requests.map((request) => results.get(request.id)!);
      },
    }),
    config,
    db,
    queues: createQueues(redis, config.QUEUE_PREFIX, monitor, config.QUEUE_PARTITIONS),
    redis,
    logger,
    monitor,
    webhooks: {
      // An origin may serve several endpoints, each with its own in-flight cap: room for a few of them.
      dispatcher: createWebhookDispatcher(allow, config.WEBHOOK_TIMEOUT_MS, undefined, 4 * config.WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT),
      allow,
      attempts: new MicroBatch({
        maxSize: 256,
        // One statement at a time, gathering the sends that finish within 5 ms and while the previous
        // one runs: a send's slot is free before its record, so waiting here holds up no send, and
        // every round trip to Postgres costs.
        maxWaitMs: 5,
        maxInFlight: 1,
        run: async (attempts) => {
          const recorded = await recordAttempts(db, attempts, { now: new Date(), schedule: config.WEBHOOK_RETRY_SCHEDULE });
          await countAttempts(redis, config.QUEUE_PREFIX, attempts.filter((_, i) => recorded[i]!.recorded).map(({ result }) => result.error));
          return recorded;
        },
      }),
    },
  };
}

export async function closeWorkerDeps(deps: WorkerDeps): Promise<void> {
  deps.monitor.stop();
  await Promise.allSettled([closeQueues(deps.queues), deps.db.destroy(), deps.webhooks.dispatcher.close()]);
  deps.redis.disconnect();
}
