import { expect } from "vitest";
import { waitDrained } from "../../chaos/lib/verify.js";
import { describe as describeAnswer, sleep } from "./http.js";
import { OutageLoad, type Window } from "./load.js";
import { expectAllJson } from "./logs.js";
import { ANSWER_BOUND_MS, expectRunning, printFigures, settledViolations, type Rig } from "./rig.js";

/** What goes down (PgBouncer itself, or the Postgres behind it), for how long, and how it is named. */
export interface PgBouncerFault {
  /** In figures and messages: "pgbouncer restart", "postgres stopped behind pgbouncer". */
  name: string;
  /** What /readyz names while it is down, in words ("PgBouncer", "Postgres"). */
  down: string;
  downMs: number;
  stop: () => void | Promise<void>;
  start: () => void | Promise<void>;
}

/**
 * The outage suite's bounded load against a web and a worker that reach Postgres through PgBouncer,
 * with `fault` injected in the middle. Every answer must be bounded and honest (a 2xx is in Postgres, a
 * 503 changed nothing, a retry with the key gets the one effect; `outcome_unknown` only while it is
 * down: to the service PgBouncer gone is Postgres gone), the processes stay up, nothing is lost, and
 * requests are served again afterwards.
 */
export async function loadThroughFault(rig: Rig, fault: PgBouncerFault): Promise<void> {
  const since = Date.now();
  const tenant = await rig.tenant({ balance: 10_000_000, cost: 10 });
  const load = new OutageLoad(rig, tenant);
  load.start();
  await sleep(1_500);
  const window: Window = { from: Date.now(), to: 0 };
  await fault.stop();
  await sleep(500);
  const readyz = await rig.api("GET", "/readyz");
  await sleep(fault.downMs - 500 - readyz.ms);
  await fault.start();
  window.to = Date.now();
  await sleep(2_000);
  await load.stop();
  await load.settle();
  const drain = await waitDrained(rig.db, 20_000);
  const { problems, figures } = await load.verdict([window]);
  if (!drain.drained) problems.push(`did not drain within 20 s: ${JSON.stringify(drain.last)}`);
  const violated = await settledViolations(rig.db);

  printFigures(`load through ${fault.name}`, { down_ms: window.to - window.from, ...figures, max_answer_ms_during_fault: load.maxMsIn(window), bound_ms: ANSWER_BOUND_MS, readyz: { status: readyz.status, ms: readyz.ms }, drain_ms: drain.ms });
  expect.soft(readyz.status, `/readyz while ${fault.down} is down: ${describeAnswer(readyz)} ${readyz.text}`).toBe(503);
  expect.soft(readyz.text, "/readyz names postgres (DATABASE_URL)").toMatch(/postgres/i);
  expect.soft(violated, "invariants").toEqual([]);
  expect.soft(problems, `${problems.length} problem(s)`).toEqual([]);
  // Requests were served after the fault too, not only before it.
  const after = load.records.flatMap((record) => record.attempts).filter((answer) => answer.status === 201 && answer.startedAt > window.to);
  expect.soft(after.length, `creates answered 201 after ${fault.down} came back`).toBeGreaterThan(0);
  expectAllJson(rig.processes, since);
  expectRunning(rig.processes, `the ${fault.name}`);
}
