import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { buildWorkerDeps, closeWorkerDeps } from "../../jobs/deps.js";
import { runSweepsOnce, SWEEP_LOCK_KEY } from "../../jobs/sweepers.js";
import { connectionConfig, createDb } from "../../src/db/client.js";
import { whileLeading } from "../../src/db/leader.js";
import { migrateToLatest } from "../../src/db/migrate.js";
import { usePreparedStatements } from "../../src/db/prepared-statements.js";
import { createAccount, createReward } from "../helpers/factories.js";
import { createTestEnvironment, destroyTestEnvironment, startHarness, type Harness } from "../helpers/harness.js";
import { expectLedgerInvariants } from "../helpers/invariants.js";
import { lifecycleCall, redeem, snapshot } from "../helpers/lifecycle.js";
import { startPrivatePgBouncer, type PrivatePgBouncer } from "../../scripts/dev/private-pgbouncer.js";
import { databaseUrl, withAdmin } from "../helpers/databases.js";

/**
 * The product loop through a private PgBouncer in transaction mode (DATABASE_POOLING=transaction): web
 * and worker each pool 10 client connections, PgBouncer gives them 4 server connections between them,
 * so consecutive transactions of one client run on different server connections and one server
 * connection serves many clients. Anything that kept session state would break here.
 */
const SERVER_POOL = 4;
let bouncer: PrivatePgBouncer;
let h: Harness;
beforeAll(async () => {
  bouncer = await startPrivatePgBouncer({ poolSize: SERVER_POOL });
  h = await startHarness({ DATABASE_POOLING: "transaction", WORKER_CONCURRENCY: "16" }, { databaseUrl: bouncer.urlFor });
}, 60_000);
afterEach(async () => expectLedgerInvariants(h.deps.db));
afterAll(async () => {
  await h?.close();
  bouncer?.teardown();
});

const pay = (redemption: string, card: string) =>
  h.api("POST", "/v1/test/payments", { body: { amount: 2999, currency: "EUR", card: { number: card }, discounts: [{ redemption }] }, idempotencyKey: randomUUID() });

/** Settlement is asynchronous (docs/sandbox.md): polls, bounded. */
async function settled(id: string, status: string) {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const state = await snapshot(h, id);
    if (state.status === status) return state;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`redemption ${id} never became ${status} (is ${(await snapshot(h, id)).status})`);
}

describe("the product loop through PgBouncer (transaction pooling)", () => {
  test("redeem → pay with 4242 → applied", async () => {
    const redemption = await redeem(h, "discount_amount");
    const res = await pay(redemption.id, "4242 4242 4242 4242");
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: "completed", amount_charged: 2499 });
    expect((await settled(redemption.id, "applied")).events).toEqual(["created@1", "applied@2"]);
  });

  test("redeem → pay with a failing card → released, points back", async () => {
    const redemption = await redeem(h, "discount_amount");
    const before = await snapshot(h, redemption.id);
    const res = await pay(redemption.id, "4000 0000 0000 0002");
    expect(res.body).toMatchObject({ status: "failed", failure_code: "card_declined" });
    const after = await settled(redemption.id, "released");
    expect(after.balance).toBe(before.balance + redemption.points);
    expect(after.ledger).toEqual([`redemption:-${redemption.points}`, `release:${redemption.points}`]);
  });

  test("item → fulfill → reverse: points and inventory back", async () => {
    const redemption = await redeem(h, "free_product");
    expect((await lifecycleCall(h, redemption.id, "fulfill", { tracking: "1Z999AA1", carrier: "UPS" })).status).toBe(200);
    expect((await lifecycleCall(h, redemption.id, "reverse", { reason: "item_returned" })).status).toBe(200);
    expect(await snapshot(h, redemption.id)).toMatchObject({
      status: "reversed", balance: 1300, inventory: 5, ledger: ["redemption:-1200", "reversal:1200"], events: ["created@1", "fulfilled@2", "reversed@3"],
    });
  });

  test("a replay with the same key answers the same bytes and debits once; 10 at once make one redemption", async () => {
    const reward = await createReward(h, "discount_amount");
    const account = await createAccount(h, 5_000);
    const body = { account: account.id, reward: reward.id };
    const first = await h.api("POST", "/v1/loyalty/redemptions", { body, idempotencyKey: "replay-1" });
    const second = await h.api("POST", "/v1/loyalty/redemptions", { body, idempotencyKey: "replay-1" });
    expect(first.status).toBe(201);
    expect(second.text).toBe(first.text);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    const together = await Promise.all(Array.from({ length: 10 }, () => h.api("POST", "/v1/loyalty/redemptions", { body, idempotencyKey: "replay-2" })));
    expect(new Set(together.map((res) => res.body.id)).size).toBe(1);
    const debits = await h.deps.db.selectFrom("points_transactions").select("id").where("account_id", "=", account.id).where("type", "=", "redemption").execute();
    expect(debits).toHaveLength(2);
  });

  test("50 concurrent creates on one account that affords 7 → exactly 7, never overdrawn", async () => {
    const reward = await createReward(h, "discount_amount");
    const account = await createAccount(h, 7 * 500);
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) => h.api("POST", "/v1/loyalty/redemptions", { body: { account: account.id, reward: reward.id }, idempotencyKey: `race-${i}` })),
    );
    expect(responses.filter((res) => res.status === 201)).toHaveLength(7);
    expect(responses.filter((res) => res.status === 422 && res.body.error.code === "insufficient_points")).toHaveLength(43);
    const row = await h.deps.db.selectFrom("loyalty_accounts").select("balance").where("id", "=", account.id).executeTakeFirstOrThrow();
    expect(row.balance).toBe(0);
  });
  test("(after the rest) the service really talked to PgBouncer: more clients than server connections", async () => {
    expect(new URL(h.config.DATABASE_URL).port).toBe(String(bouncer.port));
    const pools = (await bouncer.admin("SHOW POOLS")).filter((row) => row.database === new URL(h.config.DATABASE_URL).pathname.slice(1));
    expect(pools).toHaveLength(1);
    const servers = ["sv_active", "sv_idle", "sv_used", "sv_tested", "sv_login"].reduce((sum, column) => sum + Number(pools[0]![column]), 0);
    expect(servers).toBeLessThanOrEqual(SERVER_POOL);
    expect(Number(pools[0]!.cl_active) + Number(pools[0]!.cl_waiting)).toBeGreaterThan(SERVER_POOL);
  });

});

describe("no session state across transactions", () => {
  test("sweepers of two worker sets: one leads at a time, the other leads once it is done", async () => {
    const other = buildWorkerDeps(h.config);
    try {
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let entered!: () => void;
      const leading = new Promise<void>((resolve) => (entered = resolve));
      const first = whileLeading(h.workerDeps.db, SWEEP_LOCK_KEY, async () => {
        entered();
        await held;
        return "first";
      });
      await leading;
      // While the first set leads, the second's rounds (on other server connections) do nothing.
      for (let round = 0; round < 5; round++) expect(await runSweepsOnce(other)).toEqual({});
      expect(await whileLeading(other.db, SWEEP_LOCK_KEY, async () => "second")).toEqual({ led: false });
      release();
      expect(await first).toEqual({ led: true, value: "first" });
      // The lease ended with its transaction: the second set leads now, and sweeps.
      expect(Object.keys(await runSweepsOnce(other))).toContain("overdueRequests");
      // Nothing of it stays on a server connection either.
      const locks = await withAdmin((client) =>
        client.query("SELECT count(*)::int AS n FROM pg_locks l JOIN pg_database d ON d.oid = l.database WHERE l.locktype = 'advisory' AND d.datname = $1", [
          new URL(h.config.DATABASE_URL).pathname.slice(1),
        ]),
      );
      expect(locks.rows[0].n).toBe(0);
    } finally {
      await closeWorkerDeps(other);
    }
  });

  test("eight migrations at once through PgBouncer: all succeed, one applies, no lock is left behind", async () => {
    const name = `lr_test_mig_${randomUUID().slice(0, 8)}`;
    await withAdmin((client) => client.query(`CREATE DATABASE "${name}"`));
    // More migrating clients than server connections, so their statements share server connections.
    const dbs = Array.from({ length: 2 * SERVER_POOL }, () => createDb(bouncer.urlFor(databaseUrl(name)), 1, undefined, undefined, "transaction"));
    try {
      const results = await Promise.all(dbs.map((db) => migrateToLatest(db)));
      const applied = results.map((result) => result.results?.length ?? 0).filter((count) => count > 0);
      expect(applied).toHaveLength(1);
      expect(applied[0]).toBeGreaterThan(5);
      const locks = await withAdmin((client) =>
        client.query("SELECT count(*)::int AS n FROM pg_locks l JOIN pg_database d ON d.oid = l.database WHERE l.locktype = 'advisory' AND d.datname = $1", [name]),
      );
      expect(locks.rows[0].n).toBe(0);
    } finally {
      await Promise.all(dbs.map((db) => db.destroy()));
      await withAdmin((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    }
  });

  test("every transaction carries the timeouts as SET LOCAL; outside one, the server's defaults", async () => {
    const inside = await h.deps.db.transaction().execute(async (trx) =>
      (await sql<{ statement: string; idle: string }>`SELECT current_setting('statement_timeout') AS statement, current_setting('idle_in_transaction_session_timeout') AS idle`.execute(trx)).rows[0],
    );
    expect(inside).toEqual({ statement: `${h.config.REQUEST_TIMEOUT_MS / 1000}s`, idle: "1min" });
    const outside = await sql<{ statement: string }>`SELECT current_setting('statement_timeout') AS statement`.execute(h.deps.db);
    // Nothing leaked onto the shared server connection after the transaction ended.
    expect(outside.rows[0]!.statement).toBe("0");
  });
});

describe("deadlines without session settings", () => {
  const short = { connectMs: 2_000, statementMs: 300, idleInTransactionMs: 60_000 };

  test("a statement in a transaction is cancelled by Postgres (the SET LOCAL statement_timeout)", async () => {
    const db = createDb(h.config.DATABASE_URL, 1, short, undefined, "transaction");
    try {
      const slow = db.transaction().execute((trx) => sql`SELECT pg_sleep(5)`.execute(trx));
      await expect(slow).rejects.toMatchObject({ code: "57014" }); // query_canceled: Postgres's timeout, not ours
      expect((await sql<{ one: number }>`SELECT 1 AS one`.execute(db)).rows).toEqual([{ one: 1 }]);
    } finally {
      await db.destroy();
    }
  });

  test("a statement outside a transaction ends at the client-side deadline, and its connection is not reused", async () => {
    const db = createDb(h.config.DATABASE_URL, 1, short, undefined, "transaction");
    try {
      await expect(sql`SELECT pg_sleep(10)`.execute(db)).rejects.toThrow(/Query read timeout/);
      // Pooled again, the one connection would answer only after the 10 s sleep; closed, a new one answers.
      const started = Date.now();
      expect((await sql<{ one: number }>`SELECT 1 AS one`.execute(db)).rows).toEqual([{ one: 1 }]);
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await db.destroy();
    }
  });
});

describe("the failures this mode avoids (so these tests can fail)", () => {
  test("DATABASE_POOLING=session through PgBouncer cannot even connect: it sends the timeouts as startup parameters", async () => {
    const db = createDb(h.config.DATABASE_URL, 1, undefined, undefined, "session");
    try {
      await expect(sql`SELECT 1`.execute(db)).rejects.toThrow(/unsupported startup parameter: statement_timeout/);
    } finally {
      await db.destroy();
    }
  });

  test("named prepared statements (session mode's) break through transaction pooling", async () => {
    // One server connection, two clients: the second client's statement name already exists on it.
    const single = await startPrivatePgBouncer({ poolSize: 1 });
    const environment = await createTestEnvironment();
    const clients = [1, 2].map(() => new pg.Client(connectionConfig(single.urlFor(environment.databaseUrl))));
    try {
      for (const client of clients) {
        await client.connect();
        usePreparedStatements(client as pg.PoolClient);
      }
      const probe = (client: pg.Client) => client.query("SELECT $1::int AS v", [1]);
      expect((await probe(clients[0]!)).rows).toEqual([{ v: 1 }]);
      await expect(probe(clients[1]!)).rejects.toMatchObject({ code: "42P05" }); // duplicate_prepared_statement
    } finally {
      await Promise.all(clients.map((client) => client.end().catch(() => {})));
      single.teardown();
      await destroyTestEnvironment(environment);
    }
  });

  test("plain Postgres with DATABASE_POOLING=transaction: harmless, and no named statement is left on the connection", async () => {
    const environment = await createTestEnvironment();
    const db = createDb(environment.databaseUrl, 1, undefined, undefined, "transaction");
    const session = createDb(environment.databaseUrl, 1);
    try {
      await db.selectFrom("merchants").select("id").where("id", "=", "mer_x").execute();
      await db.transaction().execute((trx) => trx.selectFrom("merchants").select("id").where("id", "=", "mer_y").execute());
      const left = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_prepared_statements`.execute(db);
      expect(left.rows[0]!.n).toBe(0);
      // The same queries in session mode do leave them: the count above would catch a regression.
      await session.selectFrom("merchants").select("id").where("id", "=", "mer_x").execute();
      const named = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_prepared_statements`.execute(session);
      expect(named.rows[0]!.n).toBeGreaterThan(0);
    } finally {
      await Promise.all([db.destroy(), session.destroy()]);
      await destroyTestEnvironment(environment);
    }
  });
});
