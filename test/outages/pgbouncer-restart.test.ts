import { afterAll, beforeAll, test } from "vitest";
import { startPrivatePgBouncer, type PrivatePgBouncer } from "../../scripts/dev/private-pgbouncer.js";
import { loadThroughFault } from "./lib/fault-behind-pgbouncer.js";
import { startRig, type Rig } from "./lib/rig.js";

/**
 * Real web and worker processes reach Postgres only through a private PgBouncer in transaction mode
 * (DATABASE_POOLING=transaction), under the outage suite's bounded load. PgBouncer is shut down
 * immediately (every client and server connection cut, transactions in flight lost) and started again on
 * its port. Every answer is bounded and honest (a 2xx is in Postgres, a 503 changed nothing, a retry with
 * the key gets the one effect), the processes stay up, and nothing is lost. The database is our own on
 * the shared Postgres, which is never touched; only PgBouncer is.
 */
const DOWN_MS = 3_000;
let rig: Rig;
let bouncer: PrivatePgBouncer;

beforeAll(async () => {
  rig = await startRig({ postgres: "shared", logLevel: "warn" });
  bouncer = await startPrivatePgBouncer({ poolSize: 4 });
  const through = { DATABASE_URL: bouncer.urlFor(rig.env.DATABASE_URL!), DATABASE_POOLING: "transaction" };
  rig.web(through);
  rig.worker(through);
  await rig.waitReady();
}, 120_000);
afterAll(async () => {
  await rig?.close();
  bouncer?.teardown();
});

test("PgBouncer restarted under load: requests succeed or answer 503 (outcome_unknown only while it is down), nothing is lost", async () => {
  await loadThroughFault(rig, { name: "pgbouncer restart", down: "PgBouncer", downMs: DOWN_MS, stop: () => bouncer.stop(), start: () => bouncer.start() });
}, 120_000);
