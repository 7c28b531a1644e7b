import { Redis, type RedisOptions } from "ioredis";
import type { DependencyMonitor } from "../ops/dependency-monitor.js";

/** How long one producer command may take before it fails (a paused Redis accepts but never answers). */
export const REDIS_COMMAND_TIMEOUT_MS = 1_500;

/**
 * Producer connections fail fast: no offline queue (a command while disconnected fails at once) and a
 * command timeout (a command to a Redis that stopped answering fails after 1.5 s), so a REST call
 * answers 503 instead of hanging. Worker connections retry forever, as BullMQ requires. Either way the
 * connection's errors go to the process's dependency monitor, which logs one line per outage.
 */
export function createRedis(url: string, role: "producer" | "worker", monitor?: DependencyMonitor): Redis {
  const options: RedisOptions =
    role === "producer"
      ? { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2_000, commandTimeout: REDIS_COMMAND_TIMEOUT_MS }
      : { maxRetriesPerRequest: null, connectTimeout: 2_000 };
  const redis = new Redis(url, { ...options, ...reconnectBackoff, lazyConnect: false });
  watchConnection(redis, monitor);
  return redis;
}

/** Reconnect within a second or two of Redis coming back, without spinning while it is away. */
export const reconnectDelay = (times: number) => Math.min(100 * times, 1_000);
const reconnectBackoff: Pick<RedisOptions, "retryStrategy"> = { retryStrategy: reconnectDelay };

/**
 * Every ioredis connection needs an 'error' listener: without one, ioredis prints each failed reconnect
 * as a raw multi-line stack on stderr. Errors are the monitor's to report; 'ready' means Redis is back.
 */
export function watchConnection(redis: Redis, monitor?: DependencyMonitor): void {
  redis.on("error", (error) => monitor?.down("redis", error));
  redis.on("ready", () => monitor?.up("redis"));
}
