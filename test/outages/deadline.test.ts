import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, test } from "vitest";
import { describe as describeAnswer, errorCode, sleep, unavailableShapeProblems, type Answer } from "./lib/http.js";
import { expectAllJson } from "./lib/logs.js";
import { accountState, ANSWER_BOUND_MS, expectRunning, keyEffects, pendingRequests, printFigures, startRig, SWEEPER_SETTLE_MS, TIMEOUTS, type Rig, settledViolations } from "./lib/rig.js";

/**
 * A request answered 503 never takes effect later (issue "Never hang, never lie", 1 and 4). The web
 * stores the request and enqueues its job, but no worker runs; shortly before REQUEST_TIMEOUT_MS
 * Postgres goes away, so the web cannot withdraw the stored request when it must answer. It may answer
 * 503 (then the stored request must never run: the worker refuses a request past its deadline) or, as
 * Postgres is down, 500 `outcome_unknown`. Then Postgres comes back and a worker starts, with the job
 * still in Redis (first test) or lost with Redis so only the sweeper can find the row (second test).
 * A 503 must have changed nothing; a retry with the key runs exactly once either way.
 */
let rig: Rig;

beforeAll(async () => {
  // LOG_LEVEL=silent: even then, nothing but JSON may reach stdout or stderr.
  rig = await startRig({ postgres: "private", logLevel: "silent" });
  rig.web();
  await rig.waitReady();
}, 120_000);
afterAll(async () => rig?.close());

async function answeredWhilePostgresGoesAway(loseRedis: boolean) {
  const since = Date.now();
  const tenant = await rig.tenant({ balance: 10_000, cost: 500 });
  const key = `deadline-${randomUUID()}`;
  const body = (account: string) => ({ account, reward: tenant.reward });
  const sentAt = Date.now();
  const requests: [Promise<Answer>, Promise<Answer>] = [
    rig.api("POST", "/v1/loyalty/redemptions", { secretKey: tenant.secretKey, idempotencyKey: key, body: body(tenant.account) }),
    rig.api("POST", "/v1/loyalty/redemptions", { secretKey: tenant.secretKey, body: body(tenant.unkeyedAccount) }),
  ];
  // Stored and enqueued by now; Postgres goes before the web must decide.
  await sleep(TIMEOUTS.REQUEST_TIMEOUT_MS / 2);
  rig.postgres!.stop();
  const postgresDownAt = Date.now();
  const [keyed, unkeyed] = await Promise.all(requests);
  if (loseRedis) await rig.redis.stop({ keepData: false }).then(() => rig.redis.start());
  await sleep(Math.max(0, sentAt + TIMEOUTS.REQUEST_TIMEOUT_MS + 1_000 - Date.now()));
  rig.postgres!.start();
  const postgresUpAt = Date.now();

  // Past every deadline now: a worker (and its sweeper) starts and finds the stored requests.
  const worker = rig.worker();
  await sleep(SWEEPER_SETTLE_MS + 1_000);
  // On a loaded machine the worker may boot slower than a few sweep rounds: wait (bounded) until no
  // stored request is left pending. From then on nothing can take effect any more, so what we read next
  // is final; a request still pending at the bound is reported below.
  const giveUpAt = Date.now() + 20_000;
  while (Date.now() < giveUpAt && (await pendingRequests(rig.db, tenant.merchant.merchant)).length > 0) await sleep(200);
  const keyedAfter = await accountState(rig.db, tenant.account);
  const unkeyedAfter = await accountState(rig.db, tenant.unkeyedAccount);
  const effect = (await keyEffects(rig.db, tenant.merchant.merchant, [key])).get(key);
  const pending = await pendingRequests(rig.db, tenant.merchant.merchant);

  for (const answer of [keyed, unkeyed]) {
    expect.soft(answer.ms, `${describeAnswer(answer)}: later than REQUEST_TIMEOUT_MS + 1 s`).toBeLessThanOrEqual(ANSWER_BOUND_MS);
    const allowed = answer.status === 503 || (answer.status === 500 && errorCode(answer) === "outcome_unknown");
    expect.soft(allowed, `${describeAnswer(answer)}: only 503 service_unavailable, or 500 outcome_unknown (Postgres down at the decision), may answer this`).toBe(true);
    if (answer.status === 503) expect.soft(unavailableShapeProblems(answer), `${describeAnswer(answer)}: not the 503 of the contract`).toEqual([]);
  }
  if (keyed.status === 503) {
    expect.soft(effect?.redemption ?? null, `keyed request answered 503 (${describeAnswer(keyed)}) took effect later: ${JSON.stringify(keyedAfter)}`).toBeNull();
    expect.soft(keyedAfter.debits, `keyed request answered 503 was debited later`).toBe(0);
  }
  if (unkeyed.status === 503) expect.soft(unkeyedAfter.redemptions, `unkeyed request answered 503 (${describeAnswer(unkeyed)}) took effect later: ${JSON.stringify(unkeyedAfter)}`).toBe(0);
  expect.soft(unkeyedAfter.redemptions, "an unkeyed request took effect more than once").toBeLessThanOrEqual(1);
  expect.soft(pending.map((p) => p.key), "stored requests past their deadline still pending after the sweeper ran").toEqual([]);

  // The client retries with its key: whatever it was told, exactly one effect.
  const retry = await rig.api("POST", "/v1/loyalty/redemptions", { secretKey: tenant.secretKey, idempotencyKey: key, body: body(tenant.account) });
  const replay = await rig.api("POST", "/v1/loyalty/redemptions", { secretKey: tenant.secretKey, idempotencyKey: key, body: body(tenant.account) });
  expect.soft(retry.status, `retry after the outage: ${describeAnswer(retry)} ${retry.text.slice(0, 200)}`).toBe(201);
  expect.soft(replay.body?.id, "a second retry replays the same redemption").toBe(retry.body?.id);
  const final = await accountState(rig.db, tenant.account);
  expect.soft(final, "exactly one debit for the key").toMatchObject({ balance: tenant.startingBalance - tenant.cost, redemptions: 1, debits: 1 });
  expect.soft(await settledViolations(rig.db)).toEqual([]);
  expectAllJson(rig.processes, since);
  expectRunning(rig.processes.filter((p) => p.script === "src/bin/web.js"), "the postgres outage");

  printFigures(`deadline, job ${loseRedis ? "lost with Redis (sweeper only)" : "still in Redis"}`, {
    keyed: { status: keyed.status, code: errorCode(keyed) ?? null, ms: keyed.ms, took_effect_before_retry: Boolean(effect?.redemption) },
    unkeyed: { status: unkeyed.status, code: errorCode(unkeyed) ?? null, ms: unkeyed.ms, took_effect: unkeyedAfter.redemptions },
    postgres_down_ms: postgresUpAt - postgresDownAt,
    retry: { status: retry.status, ms: retry.ms },
  });
  await worker.sigterm(10_000);
}

test("the job is still in Redis when the worker starts: a request answered 503 never runs", async () => {
  await answeredWhilePostgresGoesAway(false);
}, 90_000);

test("the job was lost with Redis: the sweeper never runs a request answered 503", async () => {
  await answeredWhilePostgresGoesAway(true);
}, 90_000);
