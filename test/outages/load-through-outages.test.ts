import { afterAll, beforeAll, expect, test } from "vitest";
import { waitDrained } from "../chaos/lib/verify.js";
import { describe as describeAnswer, sleep } from "./lib/http.js";
import { OutageLoad, type Window } from "./lib/load.js";
import { expectAllJson } from "./lib/logs.js";
import { ANSWER_BOUND_MS, expectRunning, printFigures, startRig, type Rig, settledViolations } from "./lib/rig.js";

/**
 * A bounded load (8 clients sending keyed and unkeyed creates, plus a reader) that keeps going while a
 * dependency fails: Redis going away, Redis accepting connections but not answering (SIGSTOP), Postgres
 * stopped. Every call answers in bounded time; afterwards clients retry every key without a final
 * answer until they get one, and Postgres must agree with every answer: each 2xx is there, each key is
 * debited once, each 503 left alone changed nothing, and every invariant holds.
 */
const FAULT_MS = 5_000;
let rig: Rig;

beforeAll(async () => {
  rig = await startRig({ postgres: "private", logLevel: "warn" });
  rig.web();
  rig.worker();
  await rig.waitReady();
}, 120_000);
afterAll(async () => rig?.close());

async function loadThrough(name: string, fault: { begin: () => Promise<void> | void; end: () => Promise<void> | void; dependency: "redis" | "postgres" }) {
  const since = Date.now();
  // A merchant and accounts of its own per fault: each verdict sees only its own traffic.
  await rig.waitReady();
  const tenant = await rig.tenant({ balance: 10_000_000, cost: 10 });
  const load = new OutageLoad(rig, tenant);
  load.start();
  await sleep(1_500);
  const window: Window = { from: Date.now(), to: 0 };
  await fault.begin();
  // Mid-fault, /readyz says which dependency is down.
  await sleep(500);
  const readyz = await rig.api("GET", "/readyz");
  await sleep(FAULT_MS - 500 - readyz.ms);
  await fault.end();
  window.to = Date.now();
  await sleep(2_000);
  await load.stop();
  await load.settle();
  const drain = await waitDrained(rig.db, 20_000);
  const { problems, figures } = await load.verdict(fault.dependency === "postgres" ? [window] : []);
  if (!drain.drained) problems.push(`did not drain within 20 s: ${JSON.stringify(drain.last)}`);
  const violated = await settledViolations(rig.db);

  printFigures(`load through ${name}`, { fault_ms: window.to - window.from, ...figures, max_answer_ms_during_fault: load.maxMsIn({ from: window.from, to: window.to }), bound_ms: ANSWER_BOUND_MS, readyz: { status: readyz.status, ms: readyz.ms, body: readyz.text.slice(0, 200) }, drain_ms: drain.ms });
  expect.soft(readyz.status, `/readyz during ${name}: ${describeAnswer(readyz)} ${readyz.text}`).toBe(503);
  expect.soft(readyz.text, `/readyz during ${name} names ${fault.dependency}`).toMatch(fault.dependency === "redis" ? /redis/i : /postgres/i);
  expect.soft(readyz.ms, "/readyz answer time").toBeLessThanOrEqual(ANSWER_BOUND_MS);
  expect.soft(violated, "invariants").toEqual([]);
  expect.soft(problems.length, summarise(problems)).toBe(0);
  expectAllJson(rig.processes, since);
  expectRunning(rig.processes, name);
}

/** Problems grouped by kind (first words), then the first few of each. */
function summarise(problems: string[]): string {
  const kinds = new Map<string, string[]>();
  for (const problem of problems) {
    const kind = problem.split(":")[0]!.replace(/\d+/g, "N").slice(0, 80);
    kinds.set(kind, [...(kinds.get(kind) ?? []), problem]);
  }
  return `${problems.length} problem(s):\n${[...kinds.entries()].map(([kind, list]) => `  ${list.length} × ${kind}\n    ${list.slice(0, 4).join("\n    ")}`).join("\n")}`;
}

test("Redis going away mid-load (stopped 5 s, back with its data)", async () => {
  await loadThrough("redis stopped", { dependency: "redis", begin: () => rig.redis.stop({ keepData: true }), end: () => rig.redis.start() });
}, 120_000);

test("Redis paused mid-load (SIGSTOP 5 s: connections accepted, nothing answered)", async () => {
  try {
    await loadThrough("redis paused", { dependency: "redis", begin: () => rig.redis.pause(), end: () => rig.redis.resume() });
  } finally {
    rig.redis.resume();
  }
}, 120_000);

test("Postgres stopped mid-load (immediate stop, 5 s)", async () => {
  try {
    await loadThrough("postgres stopped", { dependency: "postgres", begin: () => rig.postgres!.stop(), end: () => rig.postgres!.start() });
  } finally {
    if (!rig.postgres!.running) rig.postgres!.start();
  }
}, 120_000);
