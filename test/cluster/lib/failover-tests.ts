import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, test } from "vitest";
import { waitFor } from "../../helpers/receiver.js";
import { describe as describeAnswer, unavailableShapeProblems } from "../../outages/lib/http.js";
import { accountState, ANSWER_BOUND_MS, expectRunning, keyEffects, pendingRequests, printFigures, settledViolations } from "../../outages/lib/rig.js";
import { runKeyedLoad, summarize, type KeyRun } from "./keyed-load.js";
import { verifiedEvents, type ClusterRig } from "./rig.js";

/**
 * Faults of a 6-node Redis Cluster under 2 web + 2 worker processes: a master kill -9 (its replica is
 * promoted), a replica kill -9, and the whole cluster restarted empty. Whatever Redis does, Postgres
 * decides: each key debited exactly once, the invariants hold, every event delivered, and the
 * service reconnects by itself. Run in this order on one rig (each fault leaves the cluster whole).
 */
let r: ClusterRig;
let tenant: { merchant: string; secretKey: string; account: string; reward: string; cost: number; balance: number };

async function setUp(rig: ClusterRig) {
  r = rig;
  const { merchant, secretKey, clients } = await r.merchant();
  const account = await clients[0]!.loyalty.accounts.create({ customer: "cus_failover" });
  await clients[1]!.loyalty.transactions.create({ account: account.id, amount: 1_000_000, reason: "failover test" });
  const reward = await clients[0]!.loyalty.rewards.create({ name: "EUR 1 off", type: "discount_amount", cost: 100, value: { amount: 100, currency: "EUR" } });
  tenant = { merchant, secretKey, account: account.id, reward: reward.id, cost: 100, balance: 1_000_000 };
}

const created: string[] = [];

/** Every key answered 201 with one redemption, which Postgres holds with exactly one debit. */
async function expectEachKeyOnce(runs: KeyRun[]): Promise<void> {
  const effects = await keyEffects(r.rig.db, tenant.merchant, runs.map((run) => run.key));
  for (const run of runs) {
    const last = run.attempts.at(-1)!;
    const history = run.attempts.map((a) => (a.status === 0 ? "no answer" : String(a.status))).join(",");
    expect.soft(last.status, `key ${run.key}: final answer (${history}) ${describeAnswer(last)}`).toBe(201);
    const ids = new Set(run.attempts.filter((a) => a.status === 201).map((a) => a.body?.id));
    const effect = effects.get(run.key);
    expect.soft(ids.size, `key ${run.key}: 201s name one redemption`).toBe(1);
    expect.soft(effect?.redemption && ids.has(effect.redemption), `key ${run.key}: Postgres has ${effect?.redemption}, answers said ${[...ids]}`).toBe(true);
    expect.soft(effect?.debits, `key ${run.key}: debits in points_transactions`).toBe(1);
    if (effect?.redemption) created.push(effect.redemption);
  }
  for (const answer of runs.flatMap((run) => run.attempts)) {
    if (answer.status === 503) expect.soft(unavailableShapeProblems(answer), `${describeAnswer(answer)}: not the 503 of the contract`).toEqual([]);
    if (answer.status !== 0) expect.soft(answer.ms, `${describeAnswer(answer)}: answered later than the bound`).toBeLessThanOrEqual(ANSWER_BOUND_MS);
  }
  const state = await accountState(r.rig.db, tenant.account);
  expect.soft(state.debits, "debits on the account = keys that created a redemption").toBe(created.length);
  expect.soft(state.balance).toBe(tenant.balance - created.length * tenant.cost);
}

/** The invariants hold, nothing is left pending, and every redemption's created event was delivered, verified. */
async function expectSettled(what: string): Promise<void> {
  expect.soft(await settledViolations(r.rig.db, 15_000), `invariant violations after ${what}`).toEqual([]);
  expect.soft(await pendingRequests(r.rig.db, tenant.merchant), `requests still pending after ${what}`).toEqual([]);
  const delivered = () => new Set(verifiedEvents(r.receiver).filter((e) => e.type === "loyalty.redemption.created").map((e) => e.redemption));
  await waitFor(() => created.every((id) => delivered().has(id)), 30_000, 100);
  const missing = created.filter((id) => !delivered().has(id));
  expect.soft(missing, `created events not delivered after ${what}`).toEqual([]);
  expectRunning(r.processes, what);
}

const body = () => ({ account: tenant.account, reward: tenant.reward });
const keys = (label: string, n: number) => Array.from({ length: n }, (_, i) => `${label}-${i}-${randomUUID().slice(0, 8)}`);

async function masterKill() {
  const victim = r.cluster.masterOf("{requests}");
  let killedAt = 0;
  const promotion = new Promise<{ port: number; at: number }>((resolve, reject) => {
    const check = setInterval(() => {
      if (!killedAt) return;
      clearInterval(check);
      r.cluster.waitPromotion(victim.id, 30_000).then((port) => resolve({ port, at: Date.now() }), reject);
    }, 10);
  });
  // Readiness is polled from the promotion on, while the load still runs.
  const readyAfterPromotion = promotion.then(() => r.waitAllReady(30_000)).then(() => Date.now());
  const runs = await runKeyedLoad({
    webs: r.webs,
    secretKey: tenant.secretKey,
    body: body(),
    keys: keys("master-kill", 60),
    clients: 6,
    thinkMs: 200,
    onKeyDone: (done) => {
      if (done === 12 && !killedAt) {
        r.cluster.kill(victim.port);
        killedAt = Date.now();
      }
    },
  });
  const promoted = await promotion;
  const readyAt = await readyAfterPromotion;
  await expectEachKeyOnce(runs);
  const summary = summarize(runs);
  expect.soft(summary.broken, "answers other than 2xx/4xx/503").toEqual([]);
  const unavailableAfterKill = summary.unavailable.filter((a) => a.endedAt >= killedAt);
  printFigures("cluster master kill", {
    time_to_promotion_ms: promoted.at - killedAt,
    both_webs_ready_after_kill_ms: readyAt - killedAt,
    calls: summary.calls,
    by_status: summary.byStatus,
    answered_503_or_no_answer: summary.unavailable.length,
    unavailable_window_ms: unavailableAfterKill.length ? Math.max(...unavailableAfterKill.map((a) => a.endedAt)) - killedAt : 0,
    keys_retried: summary.retriedKeys,
    max_answer_ms: summary.maxAnswerMs,
  });
  await expectSettled("the master kill");

  // The killed master comes back as a replica of the promoted one: the cluster is whole again.
  await r.cluster.restart(victim.port);
  await r.cluster.waitOk(30_000);
  // The cluster can say ok a moment before every node's view has the rejoined one demoted: poll (bounded).
  const roleOfVictim = () => r.cluster.topology().find((node) => node.port === victim.port)?.role;
  for (let deadline = Date.now() + 15_000; roleOfVictim() !== "replica" && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 200));
  expect(roleOfVictim()).toBe("replica");
}

async function replicaKill() {
  const master = r.cluster.masterOf("{requests}");
  const replica = r.cluster.topology().find((node) => node.masterId === master.id && !node.failed)!;
  let killedAt = 0;
  const runs = await runKeyedLoad({
    webs: r.webs,
    secretKey: tenant.secretKey,
    body: body(),
    keys: keys("replica-kill", 20),
    clients: 4,
    thinkMs: 200,
    onKeyDone: (done) => {
      if (done === 4 && !killedAt) {
        r.cluster.kill(replica.port);
        killedAt = Date.now();
      }
    },
  });
  await expectEachKeyOnce(runs);
  const summary = summarize(runs);
  expect.soft(summary.broken).toEqual([]);
  expect.soft(summary.unavailable.map((a) => describeAnswer(a)), "a replica's loss refuses nothing").toEqual([]);
  printFigures("cluster replica kill", { calls: summary.calls, by_status: summary.byStatus, keys_retried: summary.retriedKeys, max_answer_ms: summary.maxAnswerMs });
  await expectSettled("the replica kill");
  await r.cluster.restart(replica.port);
  await r.cluster.waitOk(30_000);
}

async function restartEmpty() {
  // Deliveries fail for now, so each created event waits in Postgres for its next attempt, its
  // delayed job in Redis — which the restart then loses.
  r.receiver.reply = () => ({ status: 503 });
  const receivedBefore = r.receiver.received.length;
  const before = await runKeyedLoad({ webs: r.webs, secretKey: tenant.secretKey, body: body(), keys: keys("before-restart", 5), clients: 5, thinkMs: 0 });
  await expectEachKeyOnce(before);
  const pendingBefore = created.slice(-5);
  await waitFor(() => r.receiver.received.length >= receivedBefore + 5, 10_000, 50);

  const restartedAt = Date.now();
  // Keyed creates keep coming while the cluster is away and while it comes back.
  const during = runKeyedLoad({ webs: r.webs, secretKey: tenant.secretKey, body: body(), keys: keys("during-restart", 10), clients: 2, thinkMs: 300, keyDeadlineMs: 60_000 });
  await r.cluster.restartEmpty();
  const clusterUpAt = Date.now();
  r.receiver.reply = () => ({ status: 200 });
  await r.waitAllReady(30_000);
  const readyAt = Date.now();
  const runs = await during;
  await expectEachKeyOnce(runs);
  const summary = summarize(runs);
  expect.soft(summary.broken).toEqual([]);

  // The deliveries whose jobs were lost are found in Postgres and delivered.
  const delivered = () => new Set(verifiedEvents(r.receiver).filter((e) => e.type === "loyalty.redemption.created").map((e) => e.redemption));
  await waitFor(() => pendingBefore.every((id) => delivered().has(id)), 30_000, 100);
  expect.soft(pendingBefore.filter((id) => !delivered().has(id)), "deliveries pending in Postgres when the cluster was lost").toEqual([]);
  printFigures("cluster restarted empty", {
    cluster_down_and_recreated_ms: clusterUpAt - restartedAt,
    both_webs_ready_after_recreate_ms: readyAt - clusterUpAt,
    calls: summary.calls,
    by_status: summary.byStatus,
    keys_retried: summary.retriedKeys,
    max_answer_ms: summary.maxAnswerMs,
  });
  await expectSettled("the cluster restart");
}

export function failoverTests(rig: () => ClusterRig): void {
  describe("failover", () => {
    beforeAll(() => setUp(rig()), 60_000);
    test("master kill -9 during 60 keyed redemptions: replica promoted, each key debited once, service reconnects", masterKill, 150_000);
    test("replica kill -9 during 20 keyed redemptions: nothing refused", replicaKill, 120_000);
    test("whole cluster restarted empty: 503s meanwhile, then the service recovers and sweepers re-drive what Postgres says is pending", restartEmpty, 150_000);
  });
}
