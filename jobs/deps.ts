import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { Config } from "../src/config.js";
import { createDb } from "../src/db/client.js";
import type { Db } from "../src/db/database.js";
import { createLogger } from "../src/logger.js";
import { createQueues, type Queues } from "../src/queue/producer.js";
import { createRedis } from "../src/queue/redis.js";

export interface WorkerDeps {
  config: Config;
  db: Db;
  /** For jobs that enqueue follow-up jobs (and for sweepers). */
  queues: Queues;
  redis: Redis;
  logger: Logger;
}

export function buildWorkerDeps(config: Config): WorkerDeps {
  const redis = createRedis(config.REDIS_URL, "producer");
  return {
    config,
    db: createDb(config.DATABASE_URL, config.DATABASE_POOL_SIZE),
    queues: createQueues(redis, config.QUEUE_PREFIX),
    redis,
    logger: createLogger(config.LOG_LEVEL, { process: "worker" }),
  };
}

export async function closeWorkerDeps(deps: WorkerDeps): Promise<void> {
  await Promise.allSettled([Promise.all(Object.values(deps.queues).map((queue) => queue.close())), deps.db.destroy()]);
  deps.redis.disconnect();
}
