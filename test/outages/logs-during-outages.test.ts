import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, test } from "vitest";
import { errorCode, sleep, type Answer } from "./lib/http.js";
import { dependencyReports, excerpt, expectAllJson, topMessages, type Dependency } from "./lib/logs.js";
import type { ServiceProcess } from "./lib/processes.js";
import { expectRunning, printFigures, startRig, type Rig, type Tenant } from "./lib/rig.js";

/**
 * Logs during a 10 s outage of each kind, at the default LOG_LEVEL (info), with a trickle of traffic
 * (one write every 2 s): every line is JSON; the outage is reported once when it starts and once when
 * it ends, per dependency and per process (see lib/logs.ts for how a report is recognised); and the
 * volume stays small.
 *
 * The volume bound per process and outage: 15 lines of fixed cost (start-up lines before the window
 * are not counted; the down report, the up report and a few lines about the reconnection fit in it
 * with room to spare) plus 2 per request the process served in the window (its access line and at most
 * one warning about it). For the web that is 15 + 2 × 7 = 29, for the worker 15. A process that logs
 * each reconnection attempt or each failed sweep round (5 per second here) is far above it.
 */
const OUTAGE_MS = 10_000;
/** After recovery: time for reconnection and the up report; two writes in it let the web notice. */
const SETTLE_MS = 4_000;
const FIXED_LINES = 15;
const LINES_PER_REQUEST = 2;

let rig: Rig;
let tenant: Tenant;
let web: ServiceProcess;
let worker: ServiceProcess;

beforeAll(async () => {
  rig = await startRig({ postgres: "private", logLevel: "info" });
  web = rig.web();
  worker = rig.worker();
  await rig.waitReady();
  tenant = await rig.tenant();
  await sleep(1_000);
}, 120_000);
afterAll(async () => rig?.close());

const write = () => rig.api("POST", "/v1/loyalty/redemptions", { secretKey: tenant.secretKey, idempotencyKey: randomUUID(), body: { account: tenant.account, reward: tenant.reward } });

async function logsThrough(name: string, dependency: Dependency, begin: () => Promise<void> | void, end: () => Promise<void> | void) {
  await rig.waitReady();
  const from = Date.now();
  const writes: Promise<Answer>[] = [];
  await begin();
  try {
    for (let t = 0; t < OUTAGE_MS; t += 2_000) {
      writes.push(write());
      await sleep(2_000);
    }
  } finally {
    await end();
  }
  const recoveredAt = Date.now();
  await sleep(1_000);
  writes.push(write());
  await sleep(2_000);
  writes.push(write());
  await sleep(SETTLE_MS - 3_000);
  const answers = await Promise.all(writes);
  const to = Date.now();

  const figures: Record<string, unknown> = { outage_ms: recoveredAt - from, window_ms: to - from, writes: answers.map((a) => `${a.status || "no answer"}${errorCode(a) ? ` ${errorCode(a)}` : ""} ${a.ms} ms`) };
  for (const [proc, requests] of [
    [web, writes.length],
    [worker, 0],
  ] as const) {
    const lines = proc.linesBetween(from, to);
    const reports = dependencyReports(lines, dependency);
    const bound = FIXED_LINES + LINES_PER_REQUEST * requests;
    const role = proc.name.replace(/#.*/, "");
    figures[role] = {
      lines: lines.length,
      bound,
      down_reports: reports.down.length,
      up_reports: reports.up.length,
      down_after_ms: reports.down[0] ? reports.down[0].at - from : null,
      up_after_recovery_ms: reports.up[0] ? reports.up[0].at - recoveredAt : null,
    };
    expect.soft(lines.length, `${proc.name} printed ${lines.length} lines during a ${OUTAGE_MS / 1000} s ${name} (bound ${bound}); most frequent: ${topMessages(lines)}`).toBeLessThanOrEqual(bound);
    expect.soft(reports.down.length, `${proc.name}: "${dependency} down" reported ${reports.down.length} times during ${name}, expected once:\n  ${excerpt(reports.down)}`).toBe(1);
    expect.soft(reports.up.length, `${proc.name}: "${dependency} back" reported ${reports.up.length} times after ${name}, expected once:\n  ${excerpt(reports.up)}`).toBe(1);
    if (reports.down[0] && reports.up[0]) {
      expect.soft(reports.down[0].at, `${proc.name}: the down report precedes the up report`).toBeLessThan(reports.up[0].at);
      expect.soft(reports.down[0].at, `${proc.name}: "${dependency} down" reported while it was down`).toBeLessThanOrEqual(recoveredAt);
    }
  }
  expectAllJson([web, worker], from);
  expectRunning([web, worker], name);
  printFigures(`logs during ${name}`, figures);
}

test("Redis stopped 10 s: JSON lines only, down once, back once, few lines", async () => {
  await logsThrough("redis stopped", "redis", () => rig.redis.stop({ keepData: true }), () => rig.redis.start());
}, 60_000);

test("Redis paused (SIGSTOP) 10 s: JSON lines only, down once, back once, few lines", async () => {
  await logsThrough("redis paused", "redis", () => rig.redis.pause(), () => rig.redis.resume());
}, 60_000);

test("Postgres stopped 10 s: JSON lines only, down once, back once, few lines", async () => {
  await logsThrough("postgres stopped", "postgres", () => rig.postgres!.stop(), () => rig.postgres!.start());
}, 60_000);
