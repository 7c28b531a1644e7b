import { writeFileSync } from "node:fs";
import { Cluster } from "ioredis";
import { Client } from "@loyalty-redemptions/client";
import { freePort } from "../../chaos/lib/private-services.js";
import { Receiver } from "../../helpers/receiver.js";
import { call } from "../../outages/lib/http.js";
import { startRig, type Rig } from "../../outages/lib/rig.js";
import type { ServiceProcess } from "../../outages/lib/processes.js";
import { startPrivatePgBouncer, type PrivatePgBouncer } from "../../../scripts/dev/private-pgbouncer.js";
import { startPrivateCluster, type PrivateCluster } from "../../../scripts/dev/private-cluster.js";

/**
 * The service as the Procfile runs it — 2 web and 2 worker processes from a test build — on a private
 * 6-node Redis Cluster (REDIS_CLUSTER_NODES) and a database of its own on the shared Postgres, reached
 * through a private PgBouncer in transaction mode (DATABASE_POOLING=transaction), with a local webhook
 * receiver the workers deliver to. Short sweeper and retry timings keep tests fast. The test's own
 * connection (`rig.db`) goes to Postgres directly.
 */
export const ADMIN_TOKEN = "cluster-test-admin-token";

export interface ClusterRig {
  cluster: PrivateCluster;
  rig: Rig;
  bouncer: PrivatePgBouncer;
  /** Base URLs of the two web processes. */
  webs: string[];
  workers: ServiceProcess[];
  processes: ServiceProcess[];
  receiver: Receiver;
  /** A merchant, its SDK clients (one per web process) and a webhook endpoint on the receiver. */
  merchant: () => Promise<{ merchant: string; secretKey: string; clients: Client[] }>;
  /** A client of the cluster from the test's side (to inspect keys), closed by `close`. */
  inspector: () => Cluster;
  waitAllReady: (timeoutMs?: number) => Promise<void>;
  close: () => Promise<void>;
}

/** The hot queues are partitioned on the cluster, so their load spreads over its masters. */
export const CLUSTER_QUEUE_PARTITIONS = 3;

export async function startClusterRig(): Promise<ClusterRig> {
  const cluster = await startPrivateCluster();
  const rig = await startRig({
    postgres: "shared",
    redisClusterNodes: cluster.seeds,
    env: { WEBHOOK_ALLOW_HOSTS: "127.0.0.1", WEBHOOK_RETRY_SCHEDULE: "1s,2s,3s,5s,10s", ADMIN_TOKEN, WEBHOOK_RELAY_INTERVAL_MS: "50", QUEUE_PARTITIONS: String(CLUSTER_QUEUE_PARTITIONS) },
  }).catch((error) => {
    cluster.teardown();
    throw error;
  });
  const bouncer = await startPrivatePgBouncer({ poolSize: 20 }).catch(async (error) => {
    await rig.close();
    cluster.teardown();
    throw error;
  });
  const viaBouncer = { DATABASE_URL: bouncer.urlFor(rig.env.DATABASE_URL!), DATABASE_POOLING: "transaction" };
  const secondPort = await freePort();
  const web1 = rig.web(viaBouncer);
  const web2 = rig.web({ ...viaBouncer, PORT: String(secondPort) });
  const workers = [rig.worker(viaBouncer), rig.worker(viaBouncer)];
  const webs = [rig.baseUrl, `http://127.0.0.1:${secondPort}`];
  const receiver = await Receiver.start();
  const inspectors: Cluster[] = [];

  const waitAllReady = async (timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    for (const base of webs) {
      let last = "";
      for (;;) {
        const answer = await call(base, "GET", "/readyz", { capMs: 3_000 });
        if (answer.status === 200) break;
        last = answer.status === 0 ? answer.error! : `${answer.status} ${answer.text.slice(0, 200)}`;
        if (Date.now() > deadline) throw new Error(`${base} not ready within ${timeoutMs} ms (last /readyz: ${last})`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  };

  const clusterRig: ClusterRig = {
    cluster,
    rig,
    bouncer,
    webs,
    workers,
    processes: [web1, web2, ...workers],
    receiver,
    merchant: async () => {
      const { createMerchant } = await import("../../../src/domain/merchants/merchants.js");
      const created = await createMerchant(rig.db, "Cluster shop");
      const clients = webs.map((baseUrl) => new Client({ secretKey: created.secret_key_test, baseUrl }));
      const endpoint = await clients[0]!.webhookEndpoints.create({ url: receiver.url(), enabled_events: ["*"], description: "cluster test receiver" });
      receiver.secrets.push(endpoint.secret!);
      return { merchant: created.merchant, secretKey: created.secret_key_test, clients };
    },
    inspector: () => {
      const client = new Cluster(cluster.seeds.split(",").map((seed) => ({ host: "127.0.0.1", port: Number(seed.split(":")[1]) })), { clusterRetryStrategy: () => 200 });
      client.on("error", () => {});
      inspectors.push(client);
      return client;
    },
    waitAllReady,
    close: async () => {
      for (const client of inspectors) client.disconnect();
      // The processes' lines, for reading a failure afterwards (the test output only has the verdict).
      const logFile = `/tmp/lr-cluster-${rig.env.QUEUE_PREFIX}.log`;
      writeFileSync(logFile, clusterRig.processes.flatMap((proc) => proc.lines.map((line) => `${line.at} ${proc.name} ${line.text}`)).join("\n"));
      console.log(`cluster test process logs: ${logFile}`);
      await receiver.close();
      await rig.close();
      bouncer.teardown();
      cluster.teardown();
    },
  };
  try {
    await waitAllReady();
  } catch (error) {
    await clusterRig.close();
    throw error;
  }
  return clusterRig;
}

/** The events the receiver got and verified with the endpoint's secret, by redemption and type. */
export function verifiedEvents(receiver: Receiver): { id: string; type: string; redemption: string }[] {
  const seen = new Map<string, { id: string; type: string; redemption: string }>();
  for (const delivery of receiver.received) {
    if (delivery.verifiedWith.length === 0) continue;
    const payload = JSON.parse(delivery.body) as { id: string; type: string; data: { object: { id: string } } };
    seen.set(payload.id, { id: payload.id, type: payload.type, redemption: payload.data.object.id });
  }
  return [...seen.values()];
}
