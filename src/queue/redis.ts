import { Redis, type RedisOptions } from "ioredis";

/**
 * Producer connections fail fast (no offline queue) so a REST call answers 503 instead of hanging
 * while Redis is away; worker connections retry forever, as BullMQ requires.
 */
export function createRedis(url: string, role: "producer" | "worker"): Redis {
  const options: RedisOptions =
    role === "producer"
      ? { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2_000 }
      : { maxRetriesPerRequest: null };
  const redis = new Redis(url, { ...options, lazyConnect: false });
  // Connection errors are retried by ioredis; without a listener they would be unhandled 'error' events.
  redis.on("error", () => {});
  return redis;
}
