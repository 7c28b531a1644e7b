import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, test } from "vitest";
import { describe as describeAnswer, errorCode, sleep, type Answer } from "./lib/http.js";
import { expectAllJson, parseJsonLine } from "./lib/logs.js";
import { isAlive, killQuietly, type ServiceProcess, type StopResult } from "./lib/processes.js";
import { ANSWER_BOUND_MS, EXIT_BOUND_MS, EXIT_CAP_MS, keyEffects, printFigures, startRig, SWEEPER_SETTLE_MS, type Rig, type Tenant } from "./lib/rig.js";

/**
 * Bounded shutdown (issue "Never hang, never lie", 2): after SIGTERM, web and worker exit within
 * SHUTDOWN_TIMEOUT_MS (+1 s of slack) whatever state Redis and Postgres are in — Redis stopped, Redis
 * paused (SIGSTOP), Postgres stopped — with writes in flight; so does `npm start` (start.js, which
 * forwards the signal), leaving no child behind. Requests in flight at SIGTERM are still answered
 * (SHUTDOWN_TIMEOUT_MS > REQUEST_TIMEOUT_MS), and the ones answered 503 never take effect later.
 * Exit codes are recorded (0 = drained, non-zero = abandoned work); the time is what is asserted.
 */
let rig: Rig;
let tenant: Tenant;

beforeAll(async () => {
  rig = await startRig({ postgres: "private", logLevel: "debug" });
  rig.web();
  rig.worker();
  await rig.waitReady();
  tenant = await rig.tenant({ balance: 1_000_000, cost: 10 });
  // Restarted per scenario: each one starts from fresh processes.
  await Promise.all(rig.processes.map((proc) => proc.sigterm(EXIT_CAP_MS)));
}, 120_000);
afterAll(async () => rig?.close());

type Outage = { name: string; begin: () => Promise<void> | void; end: () => Promise<void> | void };
const OUTAGES: Record<string, Outage> = {
  "redis stopped": { name: "redis stopped", begin: () => rig.redis.stop({ keepData: true }), end: () => rig.redis.start() },
  "redis paused": { name: "redis paused", begin: () => rig.redis.pause(), end: () => rig.redis.resume() },
  "postgres stopped": { name: "postgres stopped", begin: () => rig.postgres!.stop(), end: () => rig.postgres!.start() },
};

const create = (key: string) => rig.api("POST", "/v1/loyalty/redemptions", { secretKey: tenant.secretKey, idempotencyKey: key, body: { account: tenant.account, reward: tenant.reward } });

/** Writes sent during the outage, just before SIGTERM, so that web has work in flight when told to stop. */
async function inFlightWrites(): Promise<{ keys: string[]; answers: Promise<Answer[]> }> {
  const keys = Array.from({ length: 3 }, () => `sigterm-${randomUUID()}`);
  const answers = Promise.all(keys.map(create));
  await sleep(300);
  return { keys, answers };
}

function expectBoundedExit(proc: ServiceProcess, result: StopResult, outage: string) {
  const what = `${proc.name} after SIGTERM with ${outage}`;
  expect.soft(result.alreadyExited, `${what}: had already exited before the SIGTERM (${JSON.stringify(proc.exit)})`).toBe(false);
  expect.soft(result.killedAfterCap, `${what}: still running ${EXIT_CAP_MS} ms later (SIGKILLed)`).toBe(false);
  expect.soft(result.ms ?? Number.POSITIVE_INFINITY, `${what}: exit took ${result.ms ?? `> ${EXIT_CAP_MS}`} ms, bound SHUTDOWN_TIMEOUT_MS + 1 s = ${EXIT_BOUND_MS} ms`).toBeLessThanOrEqual(EXIT_BOUND_MS);
  expect.soft(result.signal, `${what}: exited by signal ${result.signal}, not by itself`).toBeNull();
}

/** After the outage, fresh processes and the sweeper: keys answered 503 must still have no effect. */
async function expect503sChangedNothing(keys: string[], answers: Answer[]) {
  const web = rig.web();
  const worker = rig.worker();
  await rig.waitReady();
  await sleep(SWEEPER_SETTLE_MS);
  const effects = await keyEffects(rig.db, tenant.merchant.merchant, keys);
  answers.forEach((answer, i) => {
    const effect = effects.get(keys[i]!);
    if (answer.status === 503) expect.soft(effect?.redemption ?? null, `${describeAnswer(answer)} answered 503 during shutdown, took effect later`).toBeNull();
    if (answer.status === 201) expect.soft(effect?.redemption, `${describeAnswer(answer)} answered 201, not in Postgres`).toBe(answer.body.id);
  });
  await Promise.all([web.sigterm(EXIT_CAP_MS), worker.sigterm(EXIT_CAP_MS)]);
}

for (const outage of Object.values(OUTAGES)) {
  test(`SIGTERM of web and worker with ${outage.name}: both exit within SHUTDOWN_TIMEOUT_MS + 1 s`, async () => {
    const since = Date.now();
    const web = rig.web();
    const worker = rig.worker();
    await rig.waitReady();
    let results: [StopResult, StopResult];
    let answers: Answer[];
    let keys: string[];
    await outage.begin();
    try {
      await sleep(500);
      const writes = await inFlightWrites();
      keys = writes.keys;
      results = await Promise.all([web.sigterm(EXIT_CAP_MS), worker.sigterm(EXIT_CAP_MS)]);
      answers = await writes.answers;
    } finally {
      await outage.end();
    }
    printFigures(`sigterm with ${outage.name}`, {
      web: { exit_ms: results[0].ms, code: results[0].code, signal: results[0].signal, sigkilled_after_ms: results[0].killedAfterCap ? EXIT_CAP_MS : null },
      worker: { exit_ms: results[1].ms, code: results[1].code, signal: results[1].signal, sigkilled_after_ms: results[1].killedAfterCap ? EXIT_CAP_MS : null },
      bound_ms: EXIT_BOUND_MS,
      in_flight: answers.map((a) => ({ status: a.status, code: errorCode(a) ?? null, ms: a.ms })),
    });
    expectBoundedExit(web, results[0], outage.name);
    expectBoundedExit(worker, results[1], outage.name);
    for (const answer of answers) {
      expect.soft(answer.status, `in flight at SIGTERM: ${describeAnswer(answer)} (SHUTDOWN_TIMEOUT_MS > REQUEST_TIMEOUT_MS: it is answered before the exit)`).not.toBe(0);
      expect.soft(answer.ms, `in flight at SIGTERM: ${describeAnswer(answer)}`).toBeLessThanOrEqual(ANSWER_BOUND_MS);
    }
    expectAllJson([web, worker], since);
    await expect503sChangedNothing(keys, answers);
  }, 90_000);
}

test("SIGTERM of npm start (start.js) with redis paused: it and its children exit within SHUTDOWN_TIMEOUT_MS + 1 s", async () => {
  const since = Date.now();
  const start = rig.start();
  await rig.waitReady();
  const children = start.descendants();
  let result: StopResult;
  let answers: Answer[];
  let keys: string[];
  rig.redis.pause();
  try {
    await sleep(500);
    const writes = await inFlightWrites();
    keys = writes.keys;
    result = await start.sigterm(EXIT_CAP_MS);
    answers = await writes.answers;
  } finally {
    rig.redis.resume();
  }
  // Only meaningful if start.js exited by itself (past the cap we SIGKILLed it and its children).
  await sleep(300);
  const leftBehind = result.killedAfterCap ? [] : children.filter(isAlive);
  for (const pid of leftBehind) killQuietly(pid);
  // Which child is which, from the pids their JSON lines carry.
  const names = new Map<number, string>();
  for (const line of start.lines) {
    const json = parseJsonLine(line.text);
    if (json && typeof json.pid === "number" && typeof json.process === "string") names.set(json.pid, json.process);
  }
  printFigures("sigterm of npm start with redis paused", {
    start: { exit_ms: result.ms, code: result.code, signal: result.signal, sigkilled_after_ms: result.killedAfterCap ? EXIT_CAP_MS : null },
    bound_ms: EXIT_BOUND_MS,
    children_left_running: leftBehind.map((pid) => names.get(pid) ?? String(pid)),
    in_flight: answers.map((a) => ({ status: a.status, code: errorCode(a) ?? null, ms: a.ms })),
  });
  expectBoundedExit(start, result, "redis paused");
  expect.soft(result.code, "start.js exit code is a number").not.toBeNull();
  expect.soft(leftBehind.map((pid) => names.get(pid) ?? pid), "children of start.js still running after it exited").toEqual([]);
  expect.soft(children.length, `start.js runs web and worker as children (found pids ${children.join(", ")})`).toBeGreaterThanOrEqual(2);
  expectAllJson([start], since);
  await expect503sChangedNothing(keys, answers);
}, 90_000);
