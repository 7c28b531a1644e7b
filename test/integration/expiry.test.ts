import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { runSweepsOnce } from "../../jobs/sweepers.js";
import { startHarness, type Harness } from "../helpers/harness.js";
import { expectLedgerInvariants } from "../helpers/invariants.js";
import { paymentEvent, redeem, snapshot } from "../helpers/lifecycle.js";

/**
 * The HTTP answer can come before the create job has finished (it polls Postgres, where the outcome
 * commits first): wait for the job itself, after which its timer, if any, has been scheduled.
 */
async function createJobFinished(h: Harness, redemptionId: string) {
  const { idempotency_id } = await h.deps.db.selectFrom("redemptions").select("idempotency_id").where("id", "=", redemptionId).executeTakeFirstOrThrow();
  for (let i = 0; i < 200; i++) {
    const job = await h.deps.queues.requests.getJob(idempotency_id!);
    if (job && (await job.isCompleted())) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error("create job did not complete");
}

/** The redemption's expiry job, polled for (bounded): it is added beside the create job's completion. */
async function expiryTimer(h: Harness, redemptionId: string) {
  for (let i = 0; i < 200; i++) {
    const job = await h.deps.queues.lifecycle.getJob(`expire_${redemptionId}`);
    if (job) return job;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return undefined;
}

/** Polls Postgres (bounded) until the redemption has left `pending`. */
async function waitWhilePending(h: Harness, id: string) {
  for (let i = 0; i < 400; i++) {
    const s = await snapshot(h, id);
    if (s.status !== "pending") return s;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${id} is still pending`);
}

describe("with a 1 s pending TTL", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ REDEMPTION_PENDING_TTL_SECONDS: "1" });
  });
  afterEach(async () => expectLedgerInvariants(h.deps.db));
  afterAll(async () => h?.close());

  test("the delayed job releases a pending discount at expires_at", async () => {
    const r = await redeem(h, "discount_amount");
    await createJobFinished(h, r.id);
    const job = await expiryTimer(h, r.id);
    expect(job?.data).toEqual({ redemptionIds: [r.id] });
    const after = await waitWhilePending(h, r.id);
    expect(after).toMatchObject({
      status: "released", version: 2, balance: 600, inventory: 5, ledger: ["redemption:-500", "release:500"], events: ["created@1", "released@2"],
    });
    const credit = await h.deps.db.selectFrom("points_transactions").select("reason").where("redemption_id", "=", r.id).where("type", "=", "release").executeTakeFirstOrThrow();
    expect(credit.reason).toBe("expired");
  });

  test("no timer for redemptions that do not wait for a payment", async () => {
    const r = await redeem(h, "free_product");
    await createJobFinished(h, r.id);
    // The timer is added beside the create job's completion: once a later discount's timer is there,
    // the item's would be too.
    const later = await redeem(h, "discount_amount");
    await createJobFinished(h, later.id);
    expect(await expiryTimer(h, later.id)).toBeDefined();
    expect(await h.deps.queues.lifecycle.getJob(`expire_${r.id}`)).toBeUndefined();
  });
});

describe("with the default TTL and a lost delayed job", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ REDEMPTION_PENDING_TTL_SECONDS: "600" });
  });
  afterEach(async () => expectLedgerInvariants(h.deps.db));
  afterAll(async () => h?.close());

  /** Moves `expires_at` into the past, as if the TTL had run out, instead of sleeping through it. */
  const expireNow = (id: string) =>
    h.deps.db.updateTable("redemptions").set({ expires_at: new Date(Date.now() - 1000) }).where("id", "=", id).execute();

  test("the sweeper releases what the queue lost; applied and not-yet-due ones stay", async () => {
    const lost = await redeem(h, "discount_amount");
    const applied = await redeem(h, "discount_amount");
    const notDue = await redeem(h, "discount_percent");
    for (const r of [lost, applied, notDue]) await createJobFinished(h, r.id);
    await paymentEvent(h, "payment.completed", { id: "pay_applied", amount: 2999, currency: "EUR", discounts: [{ redemption: applied.id }] });
    await h.flushQueues();
    await expireNow(lost.id);
    await expireNow(applied.id);
    expect(await h.deps.queues.lifecycle.getJob(`expire_${lost.id}`)).toBeUndefined();
    expect((await snapshot(h, lost.id)).status).toBe("pending");

    const counts = await runSweepsOnce(h.workerDeps);
    expect(counts.expiredRedemptions).toBe(1);
    expect(await snapshot(h, lost.id)).toMatchObject({ status: "released", version: 2, balance: 600, ledger: ["redemption:-500", "release:500"] });
    expect(await snapshot(h, applied.id)).toMatchObject({ status: "applied", version: 2, ledger: ["redemption:-500"] });
    expect(await snapshot(h, notDue.id)).toMatchObject({ status: "pending", version: 1 });

    // A second round (or the delayed job arriving late) finds nothing left to do.
    expect((await runSweepsOnce(h.workerDeps)).expiredRedemptions).toBe(0);
    expect((await snapshot(h, lost.id)).events).toEqual(["created@1", "released@2"]);
  });
});
