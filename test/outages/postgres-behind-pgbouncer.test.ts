import { afterAll, beforeAll, test } from "vitest";
import { startPrivatePgBouncer, type PrivatePgBouncer } from "../../scripts/dev/private-pgbouncer.js";
import { loadThroughFault } from "./lib/fault-behind-pgbouncer.js";
import { startRig, type Rig } from "./lib/rig.js";

/**
 * The other half of pgbouncer-restart.test.ts: PgBouncer stays up and the private Postgres behind it
 * stops (immediate) under load, then starts again. Unlike a direct connection, connecting still works —
 * to PgBouncer — and statements wait in its queue for a server connection that cannot be made; the
 * client-side deadline (query_timeout) and the request deadline must still answer every call in bounds.
 */
const DOWN_MS = 5_000;
let rig: Rig;
let bouncer: PrivatePgBouncer;

beforeAll(async () => {
  rig = await startRig({ postgres: "private", logLevel: "warn" });
  bouncer = await startPrivatePgBouncer({ poolSize: 4, postgresPort: rig.postgres!.port });
  const through = { DATABASE_URL: bouncer.urlFor(rig.env.DATABASE_URL!), DATABASE_POOLING: "transaction" };
  rig.web(through);
  rig.worker(through);
  await rig.waitReady();
}, 120_000);
afterAll(async () => {
  if (rig?.postgres && !rig.postgres.running) rig.postgres.start();
  await rig?.close();
  bouncer?.teardown();
});

test("Postgres stopped behind a running PgBouncer under load: every answer in bounds and honest, nothing lost", async () => {
  // PgBouncer must know the private cluster's user: the helper's auth_file lists postgres and root.
  await loadThroughFault(rig, { name: "postgres stopped behind pgbouncer", down: "Postgres", downMs: DOWN_MS, stop: () => rig.postgres!.stop(), start: () => rig.postgres!.start() });
}, 120_000);
