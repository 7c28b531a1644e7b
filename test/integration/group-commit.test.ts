import { RawNode, sql, type KyselyPlugin } from "kysely";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { executePendingRequests } from "../../src/domain/requests/execute-request-batch.js";
import { claimRequests, findRequest, type RequestClaim } from "../../src/domain/requests/requests.js";
import { createMerchant } from "../../src/domain/merchants/merchants.js";
import { newId } from "../../src/ids.js";
import { createAccount, createReward, SHIPPING } from "../helpers/factories.js";
import { startHarness, type Harness } from "../helpers/harness.js";
import { expectLedgerInvariants } from "../helpers/invariants.js";

/**
 * Group commit: the creates of one batch run in one transaction, and each still succeeds or is refused
 * on its own. These call the worker's batch executor directly (no workers running), so the batch is
 * exactly the one the test builds.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({}, { workers: false });
});
afterEach(async () => expectLedgerInvariants(h.deps.db));
afterAll(async () => h?.close());

const settings = { pendingTtlSeconds: 1800 };
const balanceOf = async (id: string) => (await h.deps.db.selectFrom("loyalty_accounts").select("balance").where("id", "=", id).executeTakeFirstOrThrow()).balance;
const inventoryOf = async (id: string) => (await h.deps.db.selectFrom("rewards").select("inventory").where("id", "=", id).executeTakeFirstOrThrow()).inventory;

function claim(params: Record<string, unknown>, options: { budgetMs?: number; operation?: string; merchant?: string } = {}): RequestClaim {
  const id = newId("idempotency");
  return {
    id,
    identity: {
      scope: { merchantId: options.merchant ?? h.merchant.merchant, livemode: false },
      key: `group-${id}`,
      clientKey: true,
      method: "POST",
      path: "/v1/loyalty/redemptions",
      requestHash: "test",
      requestId: newId("request"),
    },
    work: { operation: options.operation ?? "redemption.create", params, budgetMs: options.budgetMs ?? 60_000 },
  };
}

async function store(...claims: RequestClaim[]): Promise<string[]> {
  const claimed = await claimRequests(h.deps.db, claims);
  expect(claimed.size).toBe(claims.length);
  return claims.map((c) => c.id);
}

const outcomeOf = async (id: string) => {
  const row = await findRequest(h.deps.db, id);
  return { status: row?.status, response: row?.response_status, body: row?.response_body ? JSON.parse(row.response_body) : null };
};

/** The harness's database, counting the statements that debit accounts (a create's statement does). */
function debitStatements() {
  let count = 0;
  const plugin: KyselyPlugin = {
    transformQuery: ({ node }) => {
      if (RawNode.is(node) && node.sqlFragments.join("?").includes("UPDATE loyalty_accounts")) count++;
      return node;
    },
    transformResult: async ({ result }) => result,
  };
  return { db: h.deps.db.withPlugin(plugin), count: () => count };
}

describe("group commit of redemption creates", () => {
  test("successes and refusals in one transaction: each request has its own outcome, nothing else moves", async () => {
    const rich = await createAccount(h, 1000);
    const poor = await createAccount(h, 10);
    const other = await createAccount(h, 1000);
    const discount = await createReward(h, "discount_amount", { cost: 100 });
    const item = await createReward(h, "free_product", { cost: 100, inventory: 1 });
    const stocked = await createReward(h, "free_product", { cost: 100, inventory: 5 });
    const ids = await store(
      claim({ account: rich.id, reward: discount.id, quantity: 1 }),
      claim({ account: poor.id, reward: discount.id, quantity: 1 }), // insufficient points
      claim({ account: rich.id, reward: item.id, quantity: 1, shipping: SHIPPING }), // takes the last item
      claim({ account: other.id, reward: item.id, quantity: 1, shipping: SHIPPING }), // out of stock
      claim({ account: poor.id, reward: stocked.id, quantity: 1, shipping: SHIPPING }), // limited reward, cannot pay
      claim({ account: other.id, reward: "rwd_missing", quantity: 1 }), // unknown reward
      claim({ account: rich.id, reward: discount.id, quantity: 2 }),
    );
    const results = await executePendingRequests(h.deps.db, ids, settings);
    expect([...results.values()].every((r) => r.ok)).toBe(true);

    const outcomes = await Promise.all(ids.map(outcomeOf));
    expect(outcomes.map((o) => [o.status, o.response])).toEqual([
      ["completed", 201],
      ["completed", 422],
      ["completed", 201],
      ["completed", 422],
      ["completed", 422],
      ["completed", 404],
      ["completed", 201],
    ]);
    expect(outcomes[1]!.body.error.code).toBe("insufficient_points");
    expect(outcomes[3]!.body.error.code).toBe("reward_out_of_stock");
    expect(outcomes[4]!.body.error.code).toBe("insufficient_points");
    expect(await balanceOf(rich.id)).toBe(1000 - 100 - 100 - 200);
    expect(await balanceOf(poor.id)).toBe(10);
    expect(await balanceOf(other.id)).toBe(1000);
    // The refused item create took no stock: its savepoint undid the take.
    expect(await inventoryOf(item.id)).toBe(0);
    expect(await inventoryOf(stocked.id)).toBe(5);

    // One transaction: every row the group wrote outside a savepoint (a subtransaction has an id of
    // its own) carries the same transaction id (xmin).
    const unlimited = [ids[0], ids[1], ids[5], ids[6]];
    const xmins = await sql<{ xmin: string }>`
      SELECT DISTINCT xmin::text AS xmin FROM idempotency_keys WHERE id = ANY(${unlimited}::text[])
      UNION SELECT DISTINCT xmin::text FROM redemptions WHERE idempotency_id = ANY(${unlimited}::text[])`.execute(h.deps.db);
    expect(xmins.rows).toHaveLength(1);
  });

  test("creates of distinct accounts share one statement: each outcome, ledger row, event and stored response as if run alone", async () => {
    const accounts = await Promise.all([5000, 5000, 5000, 5000, 100, 5000].map((points) => createAccount(h, points)));
    const closed = accounts[5]!;
    expect((await h.api("POST", `/v1/loyalty/accounts/${closed.id}/close`)).status).toBe(200);
    const foreign = await createMerchant(h.deps.db, "Another merchant");
    const foreignAccount = await h.api("POST", "/v1/loyalty/accounts", { body: { customer: "cus_foreign" }, key: foreign.secret_key_test });
    const rewards = {
      amount: await createReward(h, "discount_amount", { cost: 500 }),
      percent: await createReward(h, "discount_percent", { cost: 800 }),
      credit: await createReward(h, "store_credit", { cost: 1000 }),
      item: await createReward(h, "free_product", { cost: 1200 }), // unlimited inventory
    };
    const ids = await store(
      claim({ account: accounts[0]!.id, reward: rewards.amount.id, quantity: 2 }),
      claim({ account: accounts[1]!.id, reward: rewards.percent.id, quantity: 1, metadata: { order: "A-1" } }),
      claim({ account: accounts[2]!.id, reward: rewards.credit.id, quantity: 1 }),
      claim({ account: accounts[3]!.id, reward: rewards.item.id, quantity: 1, shipping: SHIPPING }),
      claim({ account: accounts[4]!.id, reward: rewards.amount.id, quantity: 1 }), // 100 points: too few
      claim({ account: closed.id, reward: rewards.amount.id, quantity: 1 }), // closed
      claim({ account: foreignAccount.body.id, reward: rewards.amount.id, quantity: 1 }), // another merchant's
      claim({ account: "acct_missing", reward: rewards.amount.id, quantity: 1 }),
      claim({ account: accounts[3]!.id.replace(/.$/, "x"), reward: rewards.percent.id, quantity: 2 }), // percent: quantity must be 1
    );
    const debits = debitStatements();
    const results = await executePendingRequests(debits.db, ids, settings);
    expect([...results.values()].every((r) => r.ok)).toBe(true);
    // Every create of the group went into one statement, not one each.
    expect(debits.count()).toBe(1);
    const outcomes = await Promise.all(ids.map(outcomeOf));
    expect(outcomes.map((o) => [o.response, o.body.error?.code])).toEqual([
      [201, undefined],
      [201, undefined],
      [201, undefined],
      [201, undefined],
      [422, "insufficient_points"],
      [422, "account_closed"],
      [404, "resource_missing"],
      [404, "resource_missing"],
      [400, "parameter_invalid"],
    ]);
    expect(await Promise.all(accounts.map((a) => balanceOf(a.id)))).toEqual([4000, 4200, 4000, 3800, 100, 5000]);

    // Each created redemption is stored as its response says, with its ledger row and its events.
    for (const [index, outcome] of outcomes.slice(0, 4).entries()) {
      const body = outcome.body;
      const stored = await h.api("GET", `/v1/loyalty/redemptions/${body.id}`);
      expect(stored.body).toEqual(body);
      expect(body.account).toBe(accounts[index]!.id);
      const ledger = await h.deps.db.selectFrom("points_transactions").selectAll().where("redemption_id", "=", body.id).execute();
      expect(ledger.map((row) => [row.id, row.type, row.amount, row.balance_after, row.account_id])).toEqual([
        [body.points_transaction, "redemption", -body.points, await balanceOf(accounts[index]!.id), accounts[index]!.id],
      ]);
      const events = await h.deps.db.selectFrom("events").select(["type", "version", "payload"]).where("redemption_id", "=", body.id).orderBy("version").execute();
      const expected = body.status === "applied" ? ["loyalty.redemption.created@1", "loyalty.redemption.applied@2"] : ["loyalty.redemption.created@1"];
      expect(events.map((e) => `${e.type}@${e.version}`)).toEqual(expected);
      expect(JSON.parse(events.at(-1)!.payload).data.object).toEqual(body);
    }
    expect(outcomes[1]!.body.metadata).toEqual({ order: "A-1" });
    expect(outcomes[2]!.body).toMatchObject({ status: "applied", credit: { amount: 1000, currency: "EUR" }, version: 2 });
    expect(outcomes[3]!.body).toMatchObject({ status: "fulfillment_pending", fulfillment: { shipping: SHIPPING } });
    // Nothing was written for a refusal.
    const refusedWrites = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM redemptions WHERE idempotency_id = ANY(${ids.slice(4)}::text[])`.execute(h.deps.db);
    expect(refusedWrites.rows[0]!.n).toBe(0);
  });

  test("the same request twice in a batch, or run again, debits once", async () => {
    const account = await createAccount(h, 1000);
    const reward = await createReward(h, "discount_amount", { cost: 100 });
    const [a, b] = await store(claim({ account: account.id, reward: reward.id, quantity: 1 }), claim({ account: account.id, reward: reward.id, quantity: 1 }));
    await executePendingRequests(h.deps.db, [a!, b!, a!], settings);
    const again = await executePendingRequests(h.deps.db, [a!, b!], settings);
    expect([...again.values()].map((r) => r.ok && r.outcome.outcome)).toEqual(["nothing_to_do", "nothing_to_do"]);
    expect(await balanceOf(account.id)).toBe(800);
  });

  test("a request Postgres refuses fails the group; each then runs alone and only that one is refused", async () => {
    const account = await createAccount(h, 1000);
    const reward = await createReward(h, "discount_amount", { cost: 1 });
    // quantity 1.5 passes no route schema; stored directly, Postgres refuses it (22P02) inside the create.
    const ids = await store(
      claim({ account: account.id, reward: reward.id, quantity: 1 }),
      claim({ account: account.id, reward: reward.id, quantity: 1.5 }),
      claim({ account: account.id, reward: reward.id, quantity: 1 }),
    );
    await executePendingRequests(h.deps.db, ids, { ...settings, logger: (await import("pino")).pino({ level: "silent" }) });
    const outcomes = await Promise.all(ids.map(outcomeOf));
    expect(outcomes.map((o) => o.response)).toEqual([201, 400, 201]);
    expect(await balanceOf(account.id)).toBe(998);
  });

  test("a request past its deadline is withdrawn; the others of its group commit", async () => {
    const account = await createAccount(h, 1000);
    const reward = await createReward(h, "discount_amount", { cost: 100 });
    const ids = await store(
      claim({ account: account.id, reward: reward.id, quantity: 1 }),
      claim({ account: account.id, reward: reward.id, quantity: 1 }, { budgetMs: 1 }),
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    const results = await executePendingRequests(h.deps.db, ids, settings);
    expect(results.get(ids[1]!)).toEqual({ ok: true, outcome: { outcome: "nothing_to_do" } });
    expect(await findRequest(h.deps.db, ids[1]!)).toBeUndefined();
    expect((await outcomeOf(ids[0]!)).response).toBe(201);
    expect(await balanceOf(account.id)).toBe(900);
  });

  test("another operation in the batch runs alone, after the group, with its own outcome", async () => {
    const account = await createAccount(h, 1000);
    const reward = await createReward(h, "discount_amount", { cost: 100 });
    const [create] = await store(claim({ account: account.id, reward: reward.id, quantity: 1 }));
    await executePendingRequests(h.deps.db, [create!], settings);
    const redemption = (await outcomeOf(create!)).body.id as string;
    const ids = await store(
      claim({ id: redemption }, { operation: "redemption.release" }),
      claim({ account: account.id, reward: reward.id, quantity: 1 }),
      claim({ account: account.id, reward: reward.id, quantity: 1 }),
    );
    await executePendingRequests(h.deps.db, ids, settings);
    const outcomes = await Promise.all(ids.map(outcomeOf));
    expect(outcomes.map((o) => o.response)).toEqual([200, 201, 201]);
    expect(outcomes[0]!.body.status).toBe("released");
    expect(await balanceOf(account.id)).toBe(800);
  });
});
