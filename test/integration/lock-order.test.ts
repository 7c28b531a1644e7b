import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, test } from "vitest";
import { createDb } from "../../src/db/client.js";
import type { Db, Scope } from "../../src/db/database.js";
import { storeInboundWebhook } from "../../src/domain/inbound/inbox.js";
import { processInboundWebhook } from "../../src/domain/inbound/process-inbound-webhook.js";
import { releaseNextExpired } from "../../src/domain/redemptions/expiry.js";
import { executePendingRequest } from "../../src/domain/requests/execute-pending-request.js";
import { claimRequest } from "../../src/domain/requests/requests.js";
import { newId } from "../../src/ids.js";
import { withAdmin } from "../helpers/databases.js";
import { createAccount, createReward } from "../helpers/factories.js";
import { startHarness, type Harness } from "../helpers/harness.js";
import { expectLedgerInvariants } from "../helpers/invariants.js";

/**
 * A payment event that releases several redemptions of one account, racing creates on the same account
 * and rewards (and the expiry of one of those redemptions), must never deadlock (docs/guarantees.md,
 * "Lock order"). `inTransaction` retries a
 * deadlock silently, so the results alone cannot show one: Postgres' own counter for this test's
 * database (`pg_stat_database.deadlocks`) is the measure. The race runs the functions the worker jobs
 * run (execute-request, process-inbound-webhook, the expiry loop's release), on a pool of its own.
 */

const ROUNDS = 40;
/** Pending redemptions the payment releases per round, alternating between the two rewards. */
const RELEASED = 4;
/** Creates racing it per round, on the same account, half on each reward. */
const CREATES = 6;
const RACE_APP = "lock-order-race";

let h: Harness;
let scope: Scope;
let race: Db;
let raceClosed = false;
const closeRace = async () => {
  if (race && !raceClosed) await race.destroy();
  raceClosed = true;
};
beforeAll(async () => {
  h = await startHarness({}, { workers: false });
  scope = { merchantId: h.merchant.merchant, livemode: false };
  const url = new URL(h.config.DATABASE_URL);
  // Named, so the test can wait for these backends to exit (which flushes their statistics).
  url.searchParams.set("application_name", RACE_APP);
  race = createDb(url.toString(), 16);
});
afterAll(async () => {
  await closeRace();
  await h?.close();
});

/** What the web process stores for POST /v1/loyalty/redemptions; the job then runs it. */
async function claimCreate(account: string, reward: string): Promise<string> {
  const id = newId("idempotency");
  const identity = {
    scope,
    key: randomUUID(),
    clientKey: true,
    method: "POST",
    path: "/v1/loyalty/redemptions",
    requestHash: randomUUID(),
    requestId: newId("request"),
  };
  expect(await claimRequest(h.deps.db, identity, id, { operation: "redemption.create", params: { account, reward, quantity: 1 }, budgetMs: 60_000 })).toBe(true);
  return id;
}

const runCreate = (db: Db, requestId: string, pendingTtlSeconds = 3600) => executePendingRequest(db, requestId, { pendingTtlSeconds });

async function created(db: Db, account: string, reward: string, pendingTtlSeconds?: number): Promise<string> {
  const result = await runCreate(db, await claimCreate(account, reward), pendingTtlSeconds);
  expect(result).toMatchObject({ outcome: "completed", status: 201 });
  return (JSON.parse((result as { body: string }).body) as { id: string }).id;
}

/** A provider's `payment.canceled` naming every redemption, stored in the inbox as the route would. */
async function storeCancel(redemptions: string[]): Promise<string> {
  const payload = JSON.stringify({
    id: `evt_${randomUUID()}`,
    type: "payment.canceled",
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    data: { object: { id: `pay_${randomUUID()}`, amount: 9999, currency: "EUR", discounts: redemptions.map((redemption) => ({ redemption })) } },
  });
  const stored = await storeInboundWebhook(h.deps.db, {
    merchantId: scope.merchantId,
    source: "payments",
    webhookId: `msg_${randomUUID()}`,
    eventType: "payment.canceled",
    livemode: false,
    payload,
  });
  return stored.id;
}

/** Deadlocks Postgres detected in this test's database, once the race's backends have exited. */
async function deadlocks(): Promise<number> {
  const dbName = new URL(h.config.DATABASE_URL).pathname.slice(1);
  return withAdmin(async (client) => {
    // A backend flushes its counters when it exits; until then the count may be short.
    for (let i = 0; ; i++) {
      const { rows } = await client.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = $2", [dbName, RACE_APP]);
      if (rows[0].n === 0) break;
      if (i === 100) throw new Error("the race's backends did not exit: their deadlock counts are not flushed");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await client.query("SELECT pg_stat_clear_snapshot()");
    const { rows } = await client.query("SELECT deadlocks::int AS n FROM pg_stat_database WHERE datname = $1", [dbName]);
    return rows[0].n as number;
  });
}

test(`${ROUNDS} rounds: a payment releasing ${RELEASED} redemptions of one account races ${CREATES} creates on it and an expiry, without a deadlock`, async () => {
  const before = await deadlocks();
  const released: string[] = [];
  const accounts: string[] = [];
  const expiryOutcomes: Record<string, number> = {};

  for (let round = 0; round < ROUNDS; round++) {
    const account = await createAccount(h, 100_000);
    // One reward counts its inventory (a release restores units: it locks the reward row), one does not
    // (a create only checks the row exists, FOR KEY SHARE, after it has locked the account).
    const rewards = [await createReward(h, "discount_amount", { inventory: 1000 }), await createReward(h, "discount_amount", { inventory: null })];
    accounts.push(account.id);
    const pending: string[] = [];
    // The last one is due at once: its expiry (a single-redemption release) races the payment too.
    for (let i = 0; i < RELEASED; i++) pending.push(await created(h.deps.db, account.id, rewards[i % 2]!.id, i === RELEASED - 1 ? 0 : 3600));
    const expiring = pending[RELEASED - 1]!;
    const inboxId = await storeCancel(pending);
    const creates = await Promise.all(Array.from({ length: CREATES }, (_, i) => claimCreate(account.id, rewards[i % 2]!.id)));

    // Creates start while the payment is mid-way: staggered over the few milliseconds it takes. The
    // expiry skips a redemption the payment holds (SKIP LOCKED), so in every other round it starts
    // first and the payment a moment later: then the expiry holds the row and takes its credit locks.
    const expiryFirst = round % 2 === 0;
    const later = <T>(run: () => Promise<T>) => new Promise<T>((resolve, reject) => setTimeout(() => run().then(resolve, reject), 1));
    const [payment, expiry, ...outcomes] = await Promise.all([
      expiryFirst ? later(() => processInboundWebhook(race, inboxId)) : processInboundWebhook(race, inboxId),
      // The loop's release: the only due redemption is this round's, unless the payment holds it.
      releaseNextExpired(race).then((id) => (id === expiring ? "released" : id === null ? "skipped" : `unexpected ${id}`)),
      ...creates.map(async (id, i) => {
        await new Promise((resolve) => setTimeout(resolve, (i * 3) % 12));
        return runCreate(race, id);
      }),
    ]);
    expect(payment).toEqual({ outcome: "processed", result: "processed" });
    for (const outcome of outcomes) expect(outcome).toMatchObject({ outcome: "completed", status: 201 });
    const inbox = await h.deps.db.selectFrom("inbound_webhooks").select("results").where("id", "=", inboxId).executeTakeFirstOrThrow();
    // Whichever came first released the expiring one; the other found it released.
    const expected = pending.map((id) => (id === expiring && expiry === "released" ? "already_released" : "released"));
    expect(inbox.results?.map((result) => result.outcome)).toEqual(expected);
    expect(["released", "skipped"]).toContain(expiry);
    expiryOutcomes[expiry] = (expiryOutcomes[expiry] ?? 0) + 1;
    released.push(...pending);
  }

  await closeRace();
  const after = await deadlocks();
  console.log(`lock-order race: ${after - before} deadlock(s) in ${ROUNDS} rounds; expiry outcomes ${JSON.stringify(expiryOutcomes)}`);
  expect(after - before).toBe(0);
  // The expiry's own lock path (redemption, then its credit targets) was part of the race.
  expect(expiryOutcomes.released ?? 0).toBeGreaterThan(0);

  // Every released redemption credited exactly once, with its points.
  const credits = await h.deps.db
    .selectFrom("redemptions as r")
    .leftJoin("points_transactions as t", (join) => join.onRef("t.redemption_id", "=", "r.id").on("t.type", "=", "release"))
    .select(["r.id", "r.status", "r.points"])
    .select((eb) => [eb.fn.count<number>("t.id").as("credits"), eb.fn.sum<number>("t.amount").as("credited")])
    .where("r.id", "in", released)
    .groupBy("r.id")
    .execute();
  expect(credits).toHaveLength(released.length);
  for (const row of credits) expect({ status: row.status, credits: Number(row.credits), credited: Number(row.credited) }).toEqual({ status: "released", credits: 1, credited: row.points });

  // Balance = Σ ledger on every account the race touched (and every other invariant of the checker).
  const sums = await h.deps.db
    .selectFrom("loyalty_accounts as a")
    .innerJoin("points_transactions as t", "t.account_id", "a.id")
    .select(["a.id", "a.balance"])
    .select((eb) => eb.fn.sum<number>("t.amount").as("ledger"))
    .where("a.id", "in", accounts)
    .groupBy(["a.id", "a.balance"])
    .execute();
  expect(sums).toHaveLength(ROUNDS);
  for (const row of sums) expect(Number(row.ledger)).toBe(row.balance);
  await expectLedgerInvariants(h.deps.db);
});
