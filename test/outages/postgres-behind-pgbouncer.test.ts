import { afterAll, beforeAll, expect, test } from "vitest";
import { waitDrained } from "../chaos/lib/verify.js";
import { startPrivatePgBouncer, type PrivatePgBouncer } from "../helpers/pgbouncer.js";
import { describe as describeAnswer, sleep } from "./lib/http.js";
import { OutageLoad, type Window } from "./lib/load.js";
import { expectAllJson } from "./lib/logs.js";
import { ANSWER_BOUND_MS, expectRunning, printFigures, startRig, settledViolations, type Rig } from "./lib/rig.js";

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
  const since = Date.now();
  // PgBouncer must know the private cluster's user: the helper's auth_file lists postgres and root.
  const tenant = await rig.tenant({ balance: 10_000_000, cost: 10 });
  const load = new OutageLoad(rig, tenant);
  load.start();
  await sleep(1_500);
  const window: Window = { from: Date.now(), to: 0 };
  rig.postgres!.stop();
  await sleep(500);
  const readyz = await rig.api("GET", "/readyz");
  await sleep(DOWN_MS - 500 - readyz.ms);
  rig.postgres!.start();
  window.to = Date.now();
  await sleep(2_000);
  await load.stop();
  await load.settle();
  const drain = await waitDrained(rig.db, 20_000);
  // `outcome_unknown` is acceptable while Postgres is down, as without PgBouncer.
  const { problems, figures } = await load.verdict([window]);
  if (!drain.drained) problems.push(`did not drain within 20 s: ${JSON.stringify(drain.last)}`);
  const violated = await settledViolations(rig.db);

  printFigures("load through postgres stopped behind pgbouncer", { down_ms: window.to - window.from, ...figures, max_answer_ms_during_fault: load.maxMsIn(window), bound_ms: ANSWER_BOUND_MS, readyz: { status: readyz.status, ms: readyz.ms }, drain_ms: drain.ms });
  expect.soft(readyz.status, `/readyz while Postgres is down: ${describeAnswer(readyz)} ${readyz.text}`).toBe(503);
  expect.soft(readyz.text, "/readyz names postgres (DATABASE_URL)").toMatch(/postgres/i);
  expect.soft(violated, "invariants").toEqual([]);
  expect.soft(problems, `${problems.length} problem(s)`).toEqual([]);
  // Requests were served after the restart too, not only before it.
  const after = load.records.flatMap((record) => record.attempts).filter((answer) => answer.status === 201 && answer.startedAt > window.to);
  expect.soft(after.length, "creates answered 201 after Postgres came back").toBeGreaterThan(0);
  expectAllJson(rig.processes, since);
  expectRunning(rig.processes, "the postgres outage behind pgbouncer");
}, 120_000);
