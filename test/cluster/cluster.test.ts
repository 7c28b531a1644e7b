import { afterAll, beforeAll } from "vitest";
import { failoverTests } from "./lib/failover-tests.js";
import { productLoopTests } from "./lib/product-loop-tests.js";
import { startClusterRig, type ClusterRig } from "./lib/rig.js";

/**
 * The service on a private 6-node Redis Cluster (REDIS_CLUSTER_NODES), 2 web + 2 worker processes.
 * One file, one rig, in order: the product loop and what it leaves in Redis first, then the faults
 * (each leaves the cluster whole for the next). One rig rather than a file each keeps the two cores
 * for the processes under test, not for a second cluster and four more processes.
 */
let r: ClusterRig;

beforeAll(async () => {
  r = await startClusterRig();
}, 120_000);
afterAll(async () => r?.close());

productLoopTests(() => r);
failoverTests(() => r);
