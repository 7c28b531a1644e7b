import type { Config } from "../config.js";
import { createDb } from "../db/client.js";
import { createLogger } from "../logger.js";
import { DependencyMonitor, describeTarget } from "../ops/dependency-monitor.js";
import { closeQueues, createQueues } from "../queue/producer.js";
import { createRedis, describeRedis } from "../queue/redis.js";
import { Subscriptions } from "../queue/subscriptions.js";
import type { AppDeps } from "./env.js";
import { ApiKeyCache } from "./key-cache.js";
import { OutcomeWaiter } from "./outcomes.js";
import { InboxWriter } from "./inbox-writer.js";
import { RequestBatches } from "./request-batches.js";

export function buildAppDeps(config: Config): AppDeps {
  const logger = createLogger(config.LOG_LEVEL, { process: "web" });
  const monitor = new DependencyMonitor(logger, {
    postgres: describeTarget(config.DATABASE_URL, "DATABASE_URL"),
    redis: describeRedis(config, describeTarget),
  });
  const redis = createRedis(config, "producer", monitor);
  // A request never waits on Postgres longer than its own deadline allows.
  const timeouts = {
    connectMs: Math.min(5_000, Math.max(100, Math.round(config.REQUEST_TIMEOUT_MS / 2))),
    statementMs: config.REQUEST_TIMEOUT_MS,
    idleInTransactionMs: 60_000,
  };
  const db = createDb(config.DATABASE_URL, config.DATABASE_POOL_SIZE, timeouts, monitor, config.DATABASE_POOLING);
  monitor.start({ db, redis });
  const queues = createQueues(redis, config.QUEUE_PREFIX, monitor, config.QUEUE_PARTITIONS);
  const subscriptions = new Subscriptions(config, monitor);
  return {
    config,
    db,
    redis,
    queues,
    requests: new RequestBatches(db, queues),
    inbox: new InboxWriter(db, queues, logger, config.REQUEST_TIMEOUT_MS),
    subscriptions,
    outcomes: new OutcomeWaiter(subscriptions, config.QUEUE_PREFIX),
    logger,
    monitor,
    keys: new ApiKeyCache(db, subscriptions, config.QUEUE_PREFIX),
  };
}

/** Closes every connection; each close is bounded by the caller (see bin/web.ts). */
export async function closeAppDeps(deps: AppDeps): Promise<void> {
  deps.monitor.stop();
  deps.subscriptions.close();
  await Promise.allSettled([deps.inbox.idle().then(() => closeQueues(deps.queues)), deps.db.destroy()]);
  deps.redis.disconnect();
}
