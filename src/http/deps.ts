import type { Config } from "../config.js";
import { createDb } from "../db/client.js";
import { createLogger } from "../logger.js";
import { closeQueues, createQueues } from "../queue/producer.js";
import { createRedis } from "../queue/redis.js";
import type { AppDeps } from "./env.js";
import { OutcomeWaiter } from "./outcomes.js";

export function buildAppDeps(config: Config): AppDeps {
  const redis = createRedis(config.REDIS_URL, "producer");
  return {
    config,
    db: createDb(config.DATABASE_URL, config.DATABASE_POOL_SIZE),
    redis,
    queues: createQueues(redis, config.QUEUE_PREFIX),
    outcomes: new OutcomeWaiter(config.REDIS_URL, config.QUEUE_PREFIX),
    logger: createLogger(config.LOG_LEVEL, { process: "web" }),
  };
}

export async function closeAppDeps(deps: AppDeps): Promise<void> {
  await Promise.allSettled([deps.outcomes.close(), closeQueues(deps.queues), deps.db.destroy()]);
  deps.redis.disconnect();
}
