import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, test } from "vitest";
import { describe as describeAnswer, sleep, unavailableShapeProblems, type Answer } from "./lib/http.js";
import { dependencyReports, excerpt, expectAllJson } from "./lib/logs.js";
import { accountState, ANSWER_BOUND_MS, expectRunning, keyEffects, pendingRequests, printFigures, settledViolations, startRig, SWEEPER_SETTLE_MS, type Rig, type Tenant } from "./lib/rig.js";

/**
 * Redis absent from the start: REDIS_URL points at a private port where nothing listens yet. Web and
 * worker start anyway; writes that need a worker answer 503 + Retry-After in bounded time, and neither
 * (with or without an Idempotency-Key) takes effect once Redis comes up and the sweeper runs. A retry
 * with the key then runs exactly once. Postgres is this file's own database on the shared server.
 */
let rig: Rig;
let tenant: Tenant;

beforeAll(async () => {
  rig = await startRig({ redis: "absent", postgres: "shared", logLevel: "info" });
  rig.web();
  rig.worker();
  await rig.waitHealthy();
  // Accounts, points and rewards are written by the web process itself: Postgres is enough.
  tenant = await rig.tenant({ balance: 10_000, cost: 500 });
}, 120_000);
afterAll(async () => rig?.close());

test("no Redis at start: 503 + Retry-After in bounded time, nothing happens later, a keyed retry runs once", async () => {
  const key = `absent-${randomUUID()}`;
  const before = await accountState(rig.db, tenant.account);
  const beforeUnkeyed = await accountState(rig.db, tenant.unkeyedAccount);

  const [keyed, unkeyed, readyz] = await Promise.all([
    rig.api("POST", "/v1/loyalty/redemptions", { secretKey: tenant.secretKey, idempotencyKey: key, body: { account: tenant.account, reward: tenant.reward } }),
    rig.api("POST", "/v1/loyalty/redemptions", { secretKey: tenant.secretKey, body: { account: tenant.unkeyedAccount, reward: tenant.reward } }),
    rig.api("GET", "/readyz"),
  ]);
  const answers: Answer[] = [keyed, unkeyed];
  for (const answer of answers) {
    expect.soft(answer.status, describeAnswer(answer)).toBe(503);
    expect.soft(unavailableShapeProblems(answer), `${describeAnswer(answer)}: not the 503 of the contract`).toEqual([]);
    expect.soft(answer.ms, `${describeAnswer(answer)}: answered later than REQUEST_TIMEOUT_MS + 1 s`).toBeLessThanOrEqual(ANSWER_BOUND_MS);
  }
  expect.soft(readyz.status, `/readyz with Redis absent: ${describeAnswer(readyz)} ${readyz.text}`).toBe(503);
  expect.soft(readyz.text, "/readyz names the dependency that is down").toMatch(/redis/i);
  expect.soft(readyz.ms, "/readyz answer time").toBeLessThanOrEqual(ANSWER_BOUND_MS);

  // Redis comes up on that port; the worker connects, and its sweeper re-drives whatever is pending.
  const redisUpAt = Date.now();
  await rig.redis.start();
  await rig.waitReady(15_000);
  const readyAfterMs = Date.now() - redisUpAt;
  await sleep(SWEEPER_SETTLE_MS);

  const afterKeyed = await accountState(rig.db, tenant.account);
  const afterUnkeyed = await accountState(rig.db, tenant.unkeyedAccount);
  expect.soft(afterKeyed, `the keyed request (${describeAnswer(keyed)}) took effect after Redis came up: ${JSON.stringify(afterKeyed)}`).toEqual(before);
  expect.soft(afterUnkeyed, `the unkeyed request (${describeAnswer(unkeyed)}) took effect after Redis came up: ${JSON.stringify(afterUnkeyed)}`).toEqual(beforeUnkeyed);
  expect.soft(await pendingRequests(rig.db, tenant.merchant.merchant), "requests answered 503 still stored as pending after the sweeper ran (they could run later)").toEqual([]);

  // The client retries with its key: exactly one redemption, one debit; a second retry replays it.
  const retry = await rig.api("POST", "/v1/loyalty/redemptions", { secretKey: tenant.secretKey, idempotencyKey: key, body: { account: tenant.account, reward: tenant.reward } });
  expect.soft(retry.status, describeAnswer(retry)).toBe(201);
  const replay = await rig.api("POST", "/v1/loyalty/redemptions", { secretKey: tenant.secretKey, idempotencyKey: key, body: { account: tenant.account, reward: tenant.reward } });
  expect.soft(replay.status, describeAnswer(replay)).toBe(201);
  expect.soft(replay.body?.id, "a retry with the same key replays the same redemption").toBe(retry.body?.id);
  const effect = (await keyEffects(rig.db, tenant.merchant.merchant, [key])).get(key);
  expect.soft(effect, `key ${key} in Postgres`).toMatchObject({ status: "completed", redemption: retry.body?.id, debits: 1 });
  const final = await accountState(rig.db, tenant.account);
  expect.soft(final).toEqual({ balance: before.balance - tenant.cost, ledger_rows: before.ledger_rows + 1, redemptions: 1, debits: 1 });
  expect.soft(await settledViolations(rig.db)).toEqual([]);

  expectAllJson(rig.processes);
  // Down from the start: reported once (at start), and once when it comes up, by each process.
  const reports = Object.fromEntries(rig.processes.map((proc) => [proc.name, dependencyReports(proc.lines, "redis")]));
  for (const [name, { down, up }] of Object.entries(reports)) {
    expect.soft(down.length, `${name}: "redis down" reported ${down.length} times, expected once:\n  ${excerpt(down)}`).toBe(1);
    expect.soft(up.length, `${name}: "redis back" reported ${up.length} times, expected once:\n  ${excerpt(up)}`).toBe(1);
  }
  expectRunning(rig.processes, "redis absent at start");
  printFigures("redis absent at start", {
    answer_ms: { keyed: keyed.ms, unkeyed: unkeyed.ms, readyz: readyz.ms },
    bound_ms: ANSWER_BOUND_MS,
    ready_after_redis_start_ms: readyAfterMs,
    log_lines: Object.fromEntries(rig.processes.map((p) => [p.name, p.lines.length])),
    redis_reports: Object.fromEntries(Object.entries(reports).map(([name, r]) => [name, { down: r.down.length, up: r.up.length }])),
  });
}, 90_000);
