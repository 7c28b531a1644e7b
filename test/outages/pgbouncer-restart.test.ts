import { afterAll, beforeAll, expect, test } from "vitest";
import { waitDrained } from "../chaos/lib/verify.js";
import { startPrivatePgBouncer, type PrivatePgBouncer } from "../helpers/pgbouncer.js";
import { describe as describeAnswer, sleep } from "./lib/http.js";
import { OutageLoad, type Window } from "./lib/load.js";
import { expectAllJson } from "./lib/logs.js";
import { ANSWER_BOUND_MS, expectRunning, printFigures, startRig, settledViolations, type Rig } from "./lib/rig.js";

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
  const since = Date.now();
  const tenant = await rig.tenant({ balance: 10_000_000, cost: 10 });
  const load = new OutageLoad(rig, tenant);
  load.start();
  await sleep(1_500);
  const window: Window = { from: Date.now(), to: 0 };
  await bouncer.stop();
  await sleep(500);
  const readyz = await rig.api("GET", "/readyz");
  await sleep(DOWN_MS - 500 - readyz.ms);
  await bouncer.start();
  window.to = Date.now();
  await sleep(2_000);
  await load.stop();
  await load.settle();
  const drain = await waitDrained(rig.db, 20_000);
  // To the service PgBouncer gone is Postgres gone: `outcome_unknown` is acceptable in that window.
  const { problems, figures } = await load.verdict([window]);
  if (!drain.drained) problems.push(`did not drain within 20 s: ${JSON.stringify(drain.last)}`);
  const violated = await settledViolations(rig.db);

  printFigures("load through a pgbouncer restart", { down_ms: window.to - window.from, ...figures, max_answer_ms_during_fault: load.maxMsIn(window), bound_ms: ANSWER_BOUND_MS, readyz: { status: readyz.status, ms: readyz.ms }, drain_ms: drain.ms });
  expect.soft(readyz.status, `/readyz while PgBouncer is down: ${describeAnswer(readyz)} ${readyz.text}`).toBe(503);
  expect.soft(readyz.text, "/readyz names postgres (DATABASE_URL)").toMatch(/postgres/i);
  expect.soft(violated, "invariants").toEqual([]);
  expect.soft(problems, `${problems.length} problem(s)`).toEqual([]);
  // Requests were served after the restart too, not only before it.
  const after = load.records.flatMap((record) => record.attempts).filter((answer) => answer.status === 201 && answer.startedAt > window.to);
  expect.soft(after.length, "creates answered 201 after PgBouncer came back").toBeGreaterThan(0);
  expectAllJson(rig.processes, since);
  expectRunning(rig.processes, "the pgbouncer restart");
}, 120_000);
