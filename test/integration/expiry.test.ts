import { afterAll, afterEach, beforeAll, describe, expect, onTestFinished, test } from "vitest";
import { expireDueRedemptions, SetAside } from "../../jobs/expiry-loop.js";
import { sql } from "kysely";
import { startHarness, type Harness } from "../helpers/harness.js";
import { expectLedgerInvariants } from "../helpers/invariants.js";
import { paymentEvent, redeem, snapshot } from "../helpers/lifecycle.js";

/** Polls Postgres (bounded) until the redemption has left `pending`. */
async function waitWhilePending(h: Harness, id: string) {
  for (let i = 0; i < 400; i++) {
    const s = await snapshot(h, id);
    if (s.status !== "pending") return s;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${id} is still pending`);
}

/** Every key under the harness's queue prefix: what the service keeps in Redis. */
async function queueKeys(h: Harness): Promise<string[]> {
  const keys: string[] = [];
  let cursor = "0";
  do {
    const [next, batch] = await h.deps.redis.scan(cursor, "MATCH", `${h.deps.config.QUEUE_PREFIX}:*`, "COUNT", 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== "0");
  return keys;
}

describe("with a 1 s pending TTL and the worker's expiry loop running", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ REDEMPTION_PENDING_TTL_SECONDS: "1", EXPIRY_INTERVAL_MS: "100" });
  });
  afterEach(async () => expectLedgerInvariants(h.deps.db));
  afterAll(async () => h?.close());

  test("a pending discount is released once expires_at has passed, not before, and Redis holds no timer for it", async () => {
    const r = await redeem(h, "discount_amount");
    // Nothing in Redis is about the redemption: Postgres is the only timer.
    expect((await queueKeys(h)).filter((key) => key.includes(r.id))).toEqual([]);
    const after = await waitWhilePending(h, r.id);
    expect(after).toMatchObject({
      status: "released", version: 2, balance: 600, inventory: 5, ledger: ["redemption:-500", "release:500"], events: ["created@1", "released@2"],
    });
    const credit = await h.deps.db.selectFrom("points_transactions").select(["reason", "created_at"]).where("redemption_id", "=", r.id).where("type", "=", "release").executeTakeFirstOrThrow();
    expect(credit.reason).toBe("expired");
    expect(credit.created_at.getTime()).toBeGreaterThanOrEqual(after.row.expires_at!.getTime());
  });

  test("only pending discounts expire: an item, which waits for no payment, stays as it was", async () => {
    const item = await redeem(h, "free_product");
    const discount = await redeem(h, "discount_amount");
    await waitWhilePending(h, discount.id);
    // The loop has run past the item's creation + TTL by now.
    expect(await snapshot(h, item.id)).toMatchObject({ status: item.status, version: 1, ledger: [`redemption:-${item.points}`] });
  });
});

describe("a round of the expiry loop, with the default TTL", () => {
  let h: Harness;
  beforeAll(async () => {
    // The loop's own first round is 10 minutes away: these tests run the rounds themselves.
    h = await startHarness({ REDEMPTION_PENDING_TTL_SECONDS: "600", EXPIRY_INTERVAL_MS: "600000" });
  });
  afterEach(async () => expectLedgerInvariants(h.deps.db));
  afterAll(async () => h?.close());

  /** Moves `expires_at` into the past, as if the TTL had run out, instead of sleeping through it. */
  const expireNow = (id: string) =>
    h.deps.db.updateTable("redemptions").set({ expires_at: new Date(Date.now() - 1000) }).where("id", "=", id).execute();

  test("releases what is due from Postgres alone; applied and not-yet-due ones stay; a second round finds nothing", async () => {
    const due = await redeem(h, "discount_amount");
    const applied = await redeem(h, "discount_amount");
    const notDue = await redeem(h, "discount_percent");
    await paymentEvent(h, "payment.completed", { id: "pay_applied", amount: 2999, currency: "EUR", discounts: [{ redemption: applied.id }] });
    await expireNow(due.id);
    await expireNow(applied.id);
    // Redis forgets everything: the expiry never depended on it.
    await h.flushQueues();

    expect(await expireDueRedemptions(h.workerDeps)).toEqual({ released: 1, more: false });
    expect(await snapshot(h, due.id)).toMatchObject({ status: "released", version: 2, balance: 600, ledger: ["redemption:-500", "release:500"] });
    expect(await snapshot(h, applied.id)).toMatchObject({ status: "applied", version: 2, ledger: ["redemption:-500"] });
    expect(await snapshot(h, notDue.id)).toMatchObject({ status: "pending", version: 1 });

    expect(await expireDueRedemptions(h.workerDeps)).toEqual({ released: 0, more: false });
    expect((await snapshot(h, due.id)).events).toEqual(["created@1", "released@2"]);
  });

  test("rounds run at once by several workers release each due discount exactly once", async () => {
    const created = [];
    for (let i = 0; i < 12; i++) created.push(await redeem(h, "discount_amount"));
    for (const r of created) await expireNow(r.id);
    const rounds = await Promise.all(Array.from({ length: 4 }, () => expireDueRedemptions(h.workerDeps)));
    // The rounds read the same due rows; each release skips a row another holds, or finds it released.
    expect(rounds.reduce((sum, round) => sum + round.released, 0)).toBe(12);
    for (const r of created) expect(await snapshot(h, r.id)).toMatchObject({ status: "released", version: 2, ledger: ["redemption:-500", "release:500"], events: ["created@1", "released@2"] });
  });

  test("a release Postgres asks to run again (a serialization failure) is retried at once, not set aside", async () => {
    const r = await redeem(h, "discount_amount");
    await expireNow(r.id);
    // The first attempt at its status change fails with SQLSTATE 40001; a sequence counts attempts
    // across the rollback. Dropped at the end.
    await sql`CREATE SEQUENCE expiry_test_attempts`.execute(h.deps.db);
    await sql`CREATE FUNCTION fail_first_release() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF nextval('expiry_test_attempts') = 1 THEN RAISE EXCEPTION 'try again' USING ERRCODE = '40001'; END IF; RETURN NEW; END $$`.execute(h.deps.db);
    await sql.raw(`CREATE TRIGGER fail_first_release BEFORE UPDATE ON redemptions FOR EACH ROW WHEN (OLD.id = '${r.id}') EXECUTE FUNCTION fail_first_release()`).execute(h.deps.db);
    onTestFinished(async () => {
      await sql`DROP TRIGGER fail_first_release ON redemptions`.execute(h.deps.db);
      await sql`DROP FUNCTION fail_first_release()`.execute(h.deps.db);
      await sql`DROP SEQUENCE expiry_test_attempts`.execute(h.deps.db);
    });

    const setAside = new SetAside();
    expect(await expireDueRedemptions(h.workerDeps, setAside)).toEqual({ released: 1, more: false });
    expect(setAside.current()).toEqual([]);
    expect(await snapshot(h, r.id)).toMatchObject({ status: "released", version: 2, ledger: ["redemption:-500", "release:500"], events: ["created@1", "released@2"] });
  });

  // Last in this block: it leaves a due discount behind.
  test("a release that fails is set aside for a while, and the discounts behind it are still released", async () => {
    const stuck = await redeem(h, "discount_amount");
    const behind = await redeem(h, "discount_amount");
    // Oldest first: the stuck one comes first in every round.
    await h.deps.db.updateTable("redemptions").set({ expires_at: new Date(Date.now() - 2000) }).where("id", "=", stuck.id).execute();
    await expireNow(behind.id);

    // A release of the stuck one fails in Postgres, as a bug or a broken row would make it (a trigger
    // refuses its status change; dropped at the end).
    await sql`CREATE FUNCTION refuse_stuck_release() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'refused for the test'; END $$`.execute(h.deps.db);
    await sql.raw(`CREATE TRIGGER refuse_stuck_release BEFORE UPDATE ON redemptions FOR EACH ROW WHEN (OLD.id = '${stuck.id}') EXECUTE FUNCTION refuse_stuck_release()`).execute(h.deps.db);
    onTestFinished(async () => {
      await sql`DROP TRIGGER refuse_stuck_release ON redemptions`.execute(h.deps.db);
      await sql`DROP FUNCTION refuse_stuck_release()`.execute(h.deps.db);
    });

    const setAside = new SetAside();
    expect(await expireDueRedemptions(h.workerDeps, setAside)).toEqual({ released: 1, more: false });
    expect(setAside.current()).toEqual([stuck.id]);
    expect(await snapshot(h, stuck.id)).toMatchObject({ status: "pending", version: 1, ledger: ["redemption:-500"] });
    expect(await snapshot(h, behind.id)).toMatchObject({ status: "released", version: 2, ledger: ["redemption:-500", "release:500"] });
    // The next round leaves it alone rather than failing on it again.
    expect(await expireDueRedemptions(h.workerDeps, setAside)).toEqual({ released: 0, more: false });
  });
});
