import { DEFAULT_REDIS_URL, loadConfig } from "../../src/config.js";
import { onCleanup, startService } from "../lib.js";
import { startPrivateCluster } from "../../scripts/dev/private-cluster.js";
import { startPrivatePgBouncer } from "../../scripts/dev/private-pgbouncer.js";
import { seedRedemptions } from "./context.js";
import { s2Clients, s2Throughput, type S2Result } from "./s2-throughput.js";

export interface S2ClusterResult extends S2Result {
  webProcesses: number;
  workerProcesses: number;
  /** Redis Cluster nodes (masters + replicas). */
  redisNodes: string;
  /** PgBouncer's default_pool_size (server connections to Postgres) and each process's DATABASE_POOL_SIZE. */
  pgbouncerPoolSize: number;
  databasePoolSize: number;
}

const WEBS = 2;
const WORKERS = 2;

/**
 * S2 on the scaled-out topology: the same closed loop (same clients, same number of accounts, same
 * window) against 2 web and 2 worker processes whose every Redis use runs on a private 6-node Redis
 * Cluster (3 masters, 3 replicas) and whose Postgres connections go through a private PgBouncer in
 * transaction mode in front of the shared Postgres. The load alternates between the two web ports per
 * request. CPU groups as in S2, the postgres group including the PgBouncer process, redis every
 * redis-server process on the machine (the six cluster nodes and the idle shared one).
 */
export async function s2Cluster(clients = s2Clients()): Promise<S2ClusterResult> {
  const databasePoolSize = loadConfig(process.env).DATABASE_POOL_SIZE;
  // Every process's whole pool at once, plus a few for release and the service's own short connections.
  const pgbouncerPoolSize = databasePoolSize * (WEBS + WORKERS) + 5;
  const cluster = await startPrivateCluster();
  const unregisterCluster = onCleanup(cluster.teardown);
  try {
    const bouncer = await startPrivatePgBouncer({ poolSize: pgbouncerPoolSize });
    const unregisterBouncer = onCleanup(bouncer.teardown);
    try {
      const svc = await startService({
        webs: WEBS,
        workers: WORKERS,
        // REDIS_URL must stay at its default when REDIS_CLUSTER_NODES is set.
        env: { REDIS_CLUSTER_NODES: cluster.seeds, REDIS_URL: DEFAULT_REDIS_URL, DATABASE_POOLING: "transaction" },
        serviceDatabaseUrl: bouncer.urlFor,
      });
      try {
        const ctx = await seedRedemptions(svc);
        const pgbouncerPid = () => {
          const pid = bouncer.pid();
          return pid === undefined ? [] : [pid];
        };
        const result = await s2Throughput(ctx, clients, { extraPostgresPids: pgbouncerPid });
        return { ...result, webProcesses: WEBS, workerProcesses: WORKERS, redisNodes: "3 masters + 3 replicas", pgbouncerPoolSize, databasePoolSize };
      } finally {
        await svc.stop();
      }
    } finally {
      await bouncer.stop();
      unregisterBouncer();
    }
  } finally {
    cluster.teardown();
    unregisterCluster();
  }
}
