import { Cluster, Redis, type ClusterOptions, type RedisOptions } from "ioredis";
import type { ConnectionOptions } from "bullmq";
import type { Config } from "../config.js";
import type { DependencyMonitor } from "../ops/dependency-monitor.js";

/** One Redis node or a Redis Cluster: every caller takes either (REDIS_URL or REDIS_CLUSTER_NODES). */
export type RedisClient = Redis | Cluster;
export type RedisTarget = Pick<Config, "REDIS_URL" | "REDIS_CLUSTER_NODES">;

/**
 * What a connection is for, which decides how it fails:
 * - producer: REST-path commands (enqueue, rate limits, publish, metrics); fail fast, never queue.
 * - worker: BullMQ workers and their blocking fetches; retry forever, as BullMQ requires.
 * - subscriber: pub/sub (key-cache invalidation, outcome notices); retry forever.
 */
export type RedisRole = "producer" | "worker" | "subscriber";

/** How long one producer command may take before it fails (a paused Redis accepts but never answers). */
export const REDIS_COMMAND_TIMEOUT_MS = 1_500;

/** Reconnect within a second or two of Redis coming back, without spinning while it is away. */
export const reconnectDelay = (times: number) => Math.min(100 * times, 1_000);

/**
 * Producer connections fail fast: no offline queue (a command while disconnected fails at once) and a
 * command timeout (a command to a Redis that stopped answering fails after 1.5 s), so a REST call
 * answers 503 instead of hanging. Worker and subscriber connections retry forever. Either way the
 * connection's errors go to the process's dependency monitor, which logs one line per outage.
 */
export function createRedis(target: RedisTarget, role: RedisRole, monitor?: DependencyMonitor, extra: { lazyConnect?: boolean } = {}): RedisClient {
  const redis = target.REDIS_CLUSTER_NODES
    ? new Cluster(target.REDIS_CLUSTER_NODES, clusterOptions(role, extra.lazyConnect ?? false))
    : new Redis(target.REDIS_URL, { ...nodeOptions(role), retryStrategy: reconnectDelay, lazyConnect: extra.lazyConnect ?? false });
  watchConnection(redis, monitor);
  return redis;
}

function nodeOptions(role: RedisRole): RedisOptions {
  if (role === "producer") return { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2_000, commandTimeout: REDIS_COMMAND_TIMEOUT_MS };
  return { maxRetriesPerRequest: null, connectTimeout: 2_000 };
}

/**
 * On a cluster the fail-fast switch is the cluster's own offline queue: each node connection keeps its
 * offline queue (ioredis forces it on; node connections open lazily) and its command timeout. While a
 * master fails over, ioredis retries a command on CLUSTERDOWN / a closed node connection every 100 ms,
 * refreshing the slot map, up to maxRedirections times: a producer command gives up after ~1 s and the
 * request answers 503; a worker's keeps trying. When every node is gone, clusterRetryStrategy
 * reconnects from the seeds with the same backoff as a single node.
 */
function clusterOptions(role: RedisRole, lazyConnect: boolean): ClusterOptions {
  const { enableOfflineQueue, ...redisOptions } = nodeOptions(role);
  return {
    clusterRetryStrategy: reconnectDelay,
    enableReadyCheck: true,
    enableOfflineQueue: enableOfflineQueue ?? true,
    retryDelayOnFailover: 100,
    retryDelayOnClusterDown: 100,
    // A MOVED needs one redirection; the rest is waiting out a failover, which a producer must not do
    // (the client retries with its key): ~0.5 s of retries, then 503.
    maxRedirections: role === "producer" ? 5 : 16,
    slotsRefreshTimeout: 1_000,
    lazyConnect,
    redisOptions,
  };
}

/**
 * The `connection` for BullMQ Workers. On one node, connection options exactly as
 * before (BullMQ opens, duplicates and closes its connections itself). On a cluster BullMQ needs a
 * Cluster instance: it duplicates it for blocking connections (a worker's fetch) and
 * leaves the instance itself to us, so it is lazy (never connects unless used) and the caller
 * disconnects it after closing what used it.
 */
export function bullConnection(target: RedisTarget): { connection: ConnectionOptions; dispose: () => void } {
  const role = "worker";
  if (!target.REDIS_CLUSTER_NODES) {
    return { connection: { url: target.REDIS_URL, ...nodeOptions(role), retryStrategy: reconnectDelay }, dispose: () => {} };
  }
  const cluster = createRedis(target, role, undefined, { lazyConnect: true });
  return { connection: cluster, dispose: () => cluster.disconnect() };
}

export const isCluster = (redis: RedisClient): redis is Cluster => (redis as Cluster).isCluster === true;

/**
 * Redis answers: on a cluster, every master the client knows (a master that is down or failing over
 * fails the probe until a replica is promoted and the slot map refreshed; so does a slot whose master
 * the client has no connection to), so readiness and the dependency monitor see a partial outage, not
 * just the node a random PING happens to hit.
 */
export async function pingRedis(redis: RedisClient): Promise<void> {
  if (!isCluster(redis)) {
    await redis.ping();
    return;
  }
  if (redis.status !== "ready") throw new Error(`Redis Cluster is not ready (${redis.status}): Connection is closed`);
  const masters = redis.nodes("master");
  // A master that stopped answering may have been replaced by its replica: re-read the slot map now
  // rather than at the next MOVED, so readiness returns as soon as the promotion is done.
  const refreshing = (error: Error) => {
    redis.refreshSlotsCache();
    return error;
  };
  if (masters.length === 0) throw refreshing(new Error("Redis Cluster has no reachable master: Connection is closed"));
  const connected = new Set(masters.map((node) => `${node.options.host}:${node.options.port}`));
  if (redis.slots.length < 16_384 || redis.slots.some((owners) => !owners?.[0] || !connected.has(owners[0]))) {
    throw refreshing(new Error("Redis Cluster has slots without a reachable master: CLUSTERDOWN"));
  }
  await Promise.all(masters.map((node) => node.ping())).catch((error: Error) => {
    throw refreshing(error);
  });
}

/**
 * Every ioredis connection needs an 'error' listener: without one, ioredis prints each failed reconnect
 * as a raw multi-line stack on stderr. Errors are the monitor's to report; 'ready' means Redis is back.
 * A cluster also reports each node's errors ('node error'): a master lost mid-failover is an outage.
 */
export function watchConnection(redis: RedisClient, monitor?: DependencyMonitor): void {
  redis.on("error", (error) => monitor?.down("redis", error));
  redis.on("ready", () => monitor?.up("redis"));
  if (isCluster(redis)) redis.on("node error", (error) => monitor?.down("redis", error));
}

/** `host:port (REDIS_URL)`, or the seeds `host:port,host:port (REDIS_CLUSTER_NODES)`, for log lines. */
export function describeRedis(target: RedisTarget, describeUrl: (url: string, variable: string) => string): string {
  if (!target.REDIS_CLUSTER_NODES) return describeUrl(target.REDIS_URL, "REDIS_URL");
  return `${target.REDIS_CLUSTER_NODES.map((node) => `${node.host}:${node.port}`).join(",")} (REDIS_CLUSTER_NODES)`;
}
