import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { runSweepsOnce } from "../../jobs/sweepers.js";
import { executePendingRequest } from "../../src/domain/requests/execute-pending-request.js";
import { claimRequest, findRequest } from "../../src/domain/requests/requests.js";
import { newId } from "../../src/ids.js";
import { createAccount, createReward } from "../helpers/factories.js";
import { startHarness, type Harness } from "../helpers/harness.js";
import { expectLedgerInvariants } from "../helpers/invariants.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ REQUEST_TIMEOUT_MS: "1500", SWEEP_STALE_AFTER_MS: "10" }, { workers: false });
});
afterEach(async () => {
  h.startWorkers();
  await expectLedgerInvariants(h.deps.db);
});
afterAll(async () => h?.close());

const settings = { pendingTtlSeconds: 1800 };
const redemptionsOf = (account: string) => h.deps.db.selectFrom("redemptions").selectAll().where("account_id", "=", account).execute();
const balanceOf = async (id: string) =>
  (await h.deps.db.selectFrom("loyalty_accounts").select("balance").where("id", "=", id).executeTakeFirstOrThrow()).balance;
const waitFor = async (predicate: () => Promise<boolean>, what: string) => {
  for (let i = 0; i < 200; i++) {
    if (await predicate()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
};

/** Stores a create request the way the web process does, without enqueuing (as if it died right after). */
async function storePendingCreate(account: string, reward: string, budgetMs = 60_000, key?: string) {
  const id = newId("idempotency");
  await claimRequest(
    h.deps.db,
    {
      scope: { merchantId: h.merchant.merchant, livemode: false },
      key: key ?? `orphan-${id}`,
      clientKey: true,
      method: "POST",
      path: "/v1/loyalty/redemptions",
      requestHash: "test",
      requestId: newId("request"),
    },
    id,
    { operation: "redemption.create", params: { account, reward, quantity: 1 }, budgetMs },
  );
  return id;
}

describe("the debit job is safe to run more than once", () => {
  test("a second run of a completed request changes nothing", async () => {
    await h.stopWorkers();
    const account = await createAccount(h, 1000);
    const reward = await createReward(h);
    const id = await storePendingCreate(account.id, reward.id);
    const first = await executePendingRequest(h.deps.db, id, settings);
    expect(first).toMatchObject({ outcome: "completed", status: 201 });
    expect(JSON.parse((first as { body: string }).body)).toMatchObject({ object: "redemption", status: "pending" });
    const after = await findRequest(h.deps.db, id);
    expect(await executePendingRequest(h.deps.db, id, settings)).toEqual({ outcome: "nothing_to_do" });
    expect(await findRequest(h.deps.db, id)).toEqual(after);
    expect(await redemptionsOf(account.id)).toHaveLength(1);
    expect(await balanceOf(account.id)).toBe(500);
  });

  test("two runs at the same moment (a stalled job rerun beside the original) debit once", async () => {
    await h.stopWorkers();
    const account = await createAccount(h, 1000);
    const reward = await createReward(h);
    const id = await storePendingCreate(account.id, reward.id);
    const outcomes = await Promise.all(Array.from({ length: 5 }, () => executePendingRequest(h.deps.db, id, settings)));
    expect(outcomes.filter((o) => o.outcome === "completed")).toHaveLength(1);
    expect(await redemptionsOf(account.id)).toHaveLength(1);
    expect(await balanceOf(account.id)).toBe(500);
  });
});

describe("recovery when the queue fails", () => {
  test("Redis loses the job while the client waits → the web process re-adds it; debited once", async () => {
    await h.stopWorkers();
    const account = await createAccount(h, 1000);
    const reward = await createReward(h);
    const pending = h.api("POST", "/v1/loyalty/redemptions", { body: { account: account.id, reward: reward.id }, idempotencyKey: "lost-job" });
    // Create jobs carry a merchant priority (TenantPriority), so they wait in BullMQ's "prioritized" state.
    const queued = async () => {
      const counts = await h.deps.queues.requests.getJobCounts("waiting", "prioritized");
      return (counts.waiting ?? 0) + (counts.prioritized ?? 0);
    };
    await waitFor(async () => (await queued()) > 0, "the job to be queued");
    await h.flushQueues();
    h.startWorkers();
    const res = await pending;
    expect(res.status).toBe(201);
    expect(await redemptionsOf(account.id)).toHaveLength(1);
  });

  test("queue unreachable → 503 service_unavailable with Retry-After, nothing stored; the retry succeeds", async () => {
    const account = await createAccount(h, 1000);
    const reward = await createReward(h);
    const body = { account: account.id, reward: reward.id };
    h.deps.redis.disconnect();
    try {
      const res = await h.api("POST", "/v1/loyalty/redemptions", { body, idempotencyKey: "redis-down" });
      expect(res.status).toBe(503);
      expect(res.body.error).toMatchObject({ type: "api_error", code: "service_unavailable" });
      expect(res.headers.get("retry-after")).toBe("1");
    } finally {
      // Something (BullMQ) may already be reconnecting the shared connection; either way, wait for it.
      const redis = h.deps.redis;
      if (redis.status === "end") await redis.connect();
      else if (redis.status !== "ready") await new Promise((resolve) => redis.once("ready", resolve));
    }
    const rows = await h.deps.db.selectFrom("idempotency_keys").select("id").where("key", "=", "redis-down").execute();
    expect(rows).toEqual([]);
    expect(await balanceOf(account.id)).toBe(1000);
    const retry = await h.api("POST", "/v1/loyalty/redemptions", { body, idempotencyKey: "redis-down" });
    expect(retry.status).toBe(201);
    expect(await balanceOf(account.id)).toBe(500);
  });

  test("no worker answers in time → 503, the request is withdrawn, a late job does nothing", async () => {
    await h.stopWorkers();
    const account = await createAccount(h, 1000);
    const reward = await createReward(h);
    const body = { account: account.id, reward: reward.id };
    const res = await h.api("POST", "/v1/loyalty/redemptions", { body, idempotencyKey: "slow" });
    expect(res.status).toBe(503);
    h.startWorkers();
    await waitFor(async () => {
      const counts = await h.deps.queues.requests.getJobCounts("waiting", "prioritized", "active");
      return (counts.waiting ?? 0) + (counts.prioritized ?? 0) + (counts.active ?? 0) === 0;
    }, "the late job to run");
    expect(await redemptionsOf(account.id)).toHaveLength(0);
    expect(await balanceOf(account.id)).toBe(1000);
    const retry = await h.api("POST", "/v1/loyalty/redemptions", { body, idempotencyKey: "slow" });
    expect(retry.status).toBe(201);
    expect(await redemptionsOf(account.id)).toHaveLength(1);
  });

  test("a stored request whose web process died is never re-driven: past its deadline the sweeper deletes it", async () => {
    await h.stopWorkers();
    const account = await createAccount(h, 1000);
    const reward = await createReward(h);
    const id = await storePendingCreate(account.id, reward.id, 50);
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // the sweep leaves a second's grace
    const counts = await runSweepsOnce(h.workerDeps);
    expect(counts.overdueRequests).toBeGreaterThanOrEqual(1);
    expect(await findRequest(h.deps.db, id)).toBeUndefined();
    expect(await redemptionsOf(account.id)).toHaveLength(0);
    expect(await balanceOf(account.id)).toBe(1000);
  });
});

describe("a request's deadline", () => {
  test("a job that runs after the deadline withdraws the request and changes nothing", async () => {
    await h.stopWorkers();
    const account = await createAccount(h, 1000);
    const reward = await createReward(h);
    const id = await storePendingCreate(account.id, reward.id, 20);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await executePendingRequest(h.deps.db, id, settings)).toEqual({ outcome: "nothing_to_do" });
    expect(await findRequest(h.deps.db, id)).toBeUndefined();
    expect(await redemptionsOf(account.id)).toHaveLength(0);
    expect(await balanceOf(account.id)).toBe(1000);
  });

  test("Postgres refuses to COMMIT a completion after the deadline, even if every statement ran before it", async () => {
    const account = await createAccount(h, 1000);
    const reward = await createReward(h);
    const id = await storePendingCreate(account.id, reward.id, 200);
    const attempt = h.deps.db.transaction().execute(async (trx) => {
      await trx.updateTable("loyalty_accounts").set({ metadata: JSON.stringify({ touched: true }) }).where("id", "=", account.id).execute();
      await trx
        .updateTable("idempotency_keys")
        .set({ status: "completed", response_status: 201, response_body: "{}", completed_at: new Date() })
        .where("id", "=", id)
        .execute();
      await new Promise((resolve) => setTimeout(resolve, 300)); // the COMMIT comes after the deadline
    });
    await expect(attempt).rejects.toMatchObject({ code: "LR001" });
    expect((await findRequest(h.deps.db, id))?.status).toBe("pending");
    const row = await h.deps.db.selectFrom("loyalty_accounts").select("metadata").where("id", "=", account.id).executeTakeFirstOrThrow();
    expect(row.metadata).toEqual({});
  });

  test("a retry with the key takes over an overdue request under a new id; the old job finds nothing to do", async () => {
    await h.stopWorkers();
    const account = await createAccount(h, 1000);
    const reward = await createReward(h);
    const key = `takeover-${newId("request")}`;
    const oldId = await storePendingCreate(account.id, reward.id, 20, key);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const newIdOfKey = await storePendingCreate(account.id, reward.id, 60_000, key);
    const rows = await h.deps.db.selectFrom("idempotency_keys").select(["id", "status"]).where("key", "=", key).execute();
    expect(rows).toEqual([{ id: newIdOfKey, status: "pending" }]);
    expect(await executePendingRequest(h.deps.db, oldId, settings)).toEqual({ outcome: "nothing_to_do" });
    expect(await executePendingRequest(h.deps.db, newIdOfKey, settings)).toMatchObject({ outcome: "completed", status: 201 });
    expect(await redemptionsOf(account.id)).toHaveLength(1);
    expect(await balanceOf(account.id)).toBe(500);
  });

  test("a pending request still within its deadline is not taken over (the key stays with it)", async () => {
    const account = await createAccount(h, 1000);
    const reward = await createReward(h);
    const key = `held-${newId("request")}`;
    const first = await storePendingCreate(account.id, reward.id, 60_000, key);
    await storePendingCreate(account.id, reward.id, 60_000, key);
    const rows = await h.deps.db.selectFrom("idempotency_keys").select("id").where("key", "=", key).execute();
    expect(rows).toEqual([{ id: first }]);
  });
});
