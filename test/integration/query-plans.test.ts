import { CompiledQuery, Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { WorkerDeps } from "../../jobs/deps.js";
import { SWEEPS } from "../../jobs/sweepers.js";
import { loadConfig } from "../../src/config.js";
import { connectionConfig, createDb } from "../../src/db/client.js";
import type { Database, Db, Scope } from "../../src/db/database.js";
import { listAccounts } from "../../src/domain/accounts/accounts.js";
import { listPointsTransactions } from "../../src/domain/ledger/ledger.js";
import { createMerchant } from "../../src/domain/merchants/merchants.js";
import { createLogger } from "../../src/logger.js";
import { anyExpired, releaseNextExpired } from "../../src/domain/redemptions/expiry.js";
import { listRedemptions } from "../../src/domain/redemptions/queries.js";
import { listRewards } from "../../src/domain/rewards/rewards.js";
import { listAttempts } from "../../src/domain/webhooks/attempts.js";
import { listEndpoints } from "../../src/domain/webhooks/endpoints.js";
import { listEvents } from "../../src/domain/webhooks/events.js";
import { claimDueDeliveries, settleEndpoint } from "../../src/domain/webhooks/deliveries.js";
import { createTestEnvironment, destroyTestEnvironment } from "../helpers/harness.js";
import { seedVolume } from "../helpers/seed-volume.js";

/**
 * The lists and the sweepers reach their rows through an index, never a sequential scan of a big table.
 *
 * The SQL is what the code runs: the real functions are called on a Kysely that records every compiled
 * query, and each recorded query is EXPLAINed with its parameters. The data is shaped like production's
 * where it matters to the planner: the merchant under test has a few percent of every table, so an index
 * that does not lead with the merchant would walk other merchants' rows and costs more. The tables are
 * still small (tens of thousands of rows), where a Seq Scan is cheap whether or not an index exists; so
 * the plans are taken with `enable_seqscan = off`. That only discourages Seq Scans: a query no index
 * serves still gets one, and the expected index must be the one used, so the test fails if an index is
 * dropped or a query stops matching it (both checked when this test was written).
 *
 * Every statement is a prepared statement (prepared-statements.ts), which Postgres may run with a
 * generic plan (the parameters' values unknown) after five runs. So the plans are checked twice: custom
 * (with the values) and generic. A sweeper's generic plan must use the same index: a partial index whose
 * predicate is compared with a parameter (`status = $1`) cannot be used by one. A list's generic plan
 * must have no Seq Scan, but may read another index: not knowing the merchant, the planner may find the
 * `seq` key read backwards as cheap as the merchant's index when there are few merchants.
 */

type PlanNode = { "Node Type": string; "Relation Name"?: string; "Index Name"?: string; Plans?: PlanNode[] };

let environment: Awaited<ReturnType<typeof createTestEnvironment>>;
let db: Db;
let recording: Db;
let explainer: pg.Client;
let recorded: CompiledQuery[] = [];
let scope: Scope;
let liveScope: Scope;

beforeAll(async () => {
  environment = await createTestEnvironment();
  db = createDb(environment.databaseUrl, 2);
  const merchant = await createMerchant(db, "Merchant under test");
  const other = await createMerchant(db, "Bigger merchant");
  scope = { merchantId: merchant.merchant, livemode: false };
  liveScope = { merchantId: merchant.merchant, livemode: true };
  // The `seq` key read backwards would walk mostly the other merchant's rows (interleaved in seq order).
  await seedVolume(db, [
    { merchantId: merchant.merchant, tag: "a", rows: 500 },
    { merchantId: other.merchant, tag: "b", rows: 20000 },
  ]);
  await db.executeQuery(CompiledQuery.raw("ANALYZE"));

  recording = new Kysely<Database>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ ...connectionConfig(environment.databaseUrl), max: 2 }) }),
    log: (event) => {
      if (event.level === "query") recorded.push(event.query);
    },
  });
  explainer = new pg.Client(connectionConfig(environment.databaseUrl));
  await explainer.connect();
  await explainer.query("SET enable_seqscan = off");
});

afterAll(async () => {
  await explainer?.end();
  await recording?.destroy();
  await db?.destroy();
  if (environment) await destroyTestEnvironment(environment);
});

/** The data statements `work` ran (not BEGIN/COMMIT), in order. */
async function queriesOf(work: (db: Db) => Promise<unknown>): Promise<CompiledQuery[]> {
  recorded = [];
  await work(recording);
  // One of each text: a sweep that releases 500 redemptions runs the same few statements 500 times.
  const texts = new Set<string>();
  return recorded.filter((query) => /^\s*(select|insert|update|delete|with)\b/i.test(query.sql) && !texts.has(query.sql) && texts.add(query.sql));
}

async function explain(query: { sql: string; parameters: readonly unknown[] }, generic: boolean): Promise<PlanNode> {
  if (!generic) {
    const { rows } = await explainer.query(`EXPLAIN (FORMAT JSON) ${query.sql}`, query.parameters as unknown[]);
    return rows[0]["QUERY PLAN"][0].Plan;
  }
  // A generic plan does not depend on the values, so NULLs stand in for them.
  await explainer.query(`PREPARE plan_probe AS ${query.sql}`);
  try {
    await explainer.query("SET plan_cache_mode = force_generic_plan");
    const args = query.parameters.length === 0 ? "" : `(${query.parameters.map(() => "NULL").join(", ")})`;
    const { rows } = await explainer.query(`EXPLAIN (FORMAT JSON) EXECUTE plan_probe${args}`);
    return rows[0]["QUERY PLAN"][0].Plan;
  } finally {
    await explainer.query("RESET plan_cache_mode");
    await explainer.query("DEALLOCATE plan_probe");
  }
}

function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}

const seqScans = (plan: PlanNode) => nodes(plan).filter((node) => node["Node Type"] === "Seq Scan").map((node) => node["Relation Name"]);
const indexesUsed = (plan: PlanNode) => nodes(plan).flatMap((node) => (node["Index Name"] ? [node["Index Name"]] : []));

/**
 * Every statement of `work` without a Seq Scan, and together they use every index in `expected` (in the
 * generic plans too, unless `generic` is "no-seq-scan").
 */
async function expectIndexed(work: (db: Db) => Promise<unknown>, expected: string[], generic: "same" | "no-seq-scan" = "same") {
  const queries = await queriesOf(work);
  expect(queries.length).toBeGreaterThan(0);
  for (const mode of ["custom", "generic"] as const) {
    const plans: PlanNode[] = [];
    for (const query of queries) plans.push(await explain(query, mode === "generic"));
    const seen = { plan: mode, seqScans: plans.flatMap(seqScans), indexes: [...new Set(plans.flatMap(indexesUsed))] };
    const indexes = mode === "generic" && generic === "no-seq-scan" ? seen.indexes : expect.arrayContaining(expected);
    expect(seen, queries.map((query) => query.sql).join("\n")).toEqual({ ...seen, seqScans: [], indexes });
  }
}

/** Lists: the merchant's index in the custom plan; no Seq Scan in the generic one (see above). */
const LIST = "no-seq-scan";

describe("lists (REST), first page and a page after a cursor", () => {
  test("ledger of the merchant, no account filter", async () => {
    await expectIndexed((d) => listPointsTransactions(d, scope, { limit: 10 }), ["points_transactions_list"], LIST);
    await expectIndexed((d) => listPointsTransactions(d, scope, { limit: 10, starting_after: "ptx_a_earn_101" }), ["points_transactions_pkey", "points_transactions_list"], LIST);
    await expectIndexed((d) => listPointsTransactions(d, liveScope, { limit: 10, type: "earn" }), ["points_transactions_list"], LIST);
  });

  test("ledger of one account", async () => {
    await expectIndexed((d) => listPointsTransactions(d, scope, { limit: 10, account: "loy_a_3" }), ["points_transactions_by_account"], LIST);
  });

  test("redemptions: unfiltered, by status, by account, by reward, by code", async () => {
    await expectIndexed((d) => listRedemptions(d, scope, { limit: 10 }), ["redemptions_list"], LIST);
    await expectIndexed((d) => listRedemptions(d, scope, { limit: 10, status: "pending" }), ["redemptions_by_status"], LIST);
    await expectIndexed((d) => listRedemptions(d, scope, { limit: 10, status: "released", ending_before: "rdm_a_7" }), ["redemptions_pkey", "redemptions_by_status"], LIST);
    await expectIndexed((d) => listRedemptions(d, scope, { limit: 10, account: "loy_a_3" }), ["redemptions_by_account"], LIST);
    await expectIndexed((d) => listRedemptions(d, scope, { limit: 10, reward: "rwd_a_3" }), ["redemptions_by_reward"], LIST);
    await expectIndexed((d) => listRedemptions(d, scope, { limit: 10, code: "vinr-a7" }), ["redemptions_discount_code"], LIST);
  });

  test("events, accounts, rewards, webhook endpoints and their attempts", async () => {
    await expectIndexed((d) => listEvents(d, scope, { limit: 10, starting_after: "evt_a_101" }), ["events_pkey", "events_list"], LIST);
    await expectIndexed((d) => listEvents(d, scope, { limit: 10, type: "loyalty.redemption.created" }), ["events_list"], LIST);
    await expectIndexed((d) => listAccounts(d, scope, { limit: 10 }), ["loyalty_accounts_list"], LIST);
    await expectIndexed((d) => listAccounts(d, scope, { limit: 10, customer: "cus_3" }), ["loyalty_accounts_by_customer"], LIST);
    await expectIndexed((d) => listRewards(d, scope, { limit: 10, active: true }), ["rewards_list"], LIST);
    await expectIndexed((d) => listEndpoints(d, scope, { limit: 10 }), ["webhook_endpoints_list"], LIST);
    await expectIndexed((d) => listAttempts(d, scope, "we_a_1", { limit: 10 }), ["webhook_attempts_by_endpoint"], LIST);
    await expectIndexed((d) => listAttempts(d, scope, "we_a_1", { limit: 10, event: "evt_a_3" }), ["webhook_attempts_by_event"], LIST);
  });
});

/**
 * Every sweep, run as the worker runs it (in the worker's order), with queues that accept and drop
 * jobs. Each must use the indexes named here; a sweep not named here must still have no Seq Scan.
 */
const SWEEP_INDEXES: Record<string, string[]> = {
  overdueRequests: ["idempotency_keys_pending"],
  unprocessedInboundWebhooks: ["inbound_webhooks_unprocessed"],
  // The relay: unpublished events, the endpoints of their merchants, then the published mark.
  unpublishedEvents: ["events_unpublished", "webhook_endpoints_list", "events_pkey"],
  dueDeliveries: ["webhook_deliveries_due"],
  // Whether a pending delivery holds an event back is read from webhook_deliveries_due (few rows) or
  // webhook_deliveries_by_event, as the planner likes; the deletes it cascades to are checked below.
  expiredEvents: ["events_retention", "events_pkey"],
  expiredIdempotencyKeys: ["idempotency_keys_expiry", "idempotency_keys_pkey"],
  expiredConsoleSessions: ["console_sessions_expiry", "console_sessions_pkey"],
  expiredConsoleActions: ["console_actions_retention", "console_actions_pkey"],
};

/** Queues that accept and drop every job (only the sweeps' SQL is under test), on a connection that is up. */
const droppingQueue = { opts: { connection: { status: "ready" } }, getJob: async () => undefined, add: async () => ({}), addBulk: async () => [] };
const droppingQueues = new Proxy({}, { get: (_, key) => (key === "partitions" ? new Proxy({}, { get: () => [droppingQueue] }) : droppingQueue) });
const sweepDeps = (d: Db) =>
  ({ db: d, config: loadConfig({ DATABASE_URL: environment.databaseUrl }), queues: droppingQueues, logger: createLogger("silent") }) as unknown as WorkerDeps;

describe("deliveries of one endpoint (the batched delivery job)", () => {
  // The merchant under test's endpoint has a few of the due rows; the bigger merchant's, most: walking
  // the global due index would read those first. The generic plan need not agree: with the eight
  // endpoints seeded here an unknown endpoint looks like an eighth of the rows (with thousands of
  // endpoints in production it does not), so it only must have no Seq Scan.
  test("claiming its due deliveries and finding its next one read the endpoint's due index", async () => {
    const now = new Date();
    const options = { limit: 64, now, leaseMs: 30_000, secretKey: Buffer.alloc(32) };
    await expectIndexed((d) => claimDueDeliveries(d, "we_a_1", options), ["webhook_deliveries_due_by_endpoint"], "no-seq-scan");
    await expectIndexed((d) => settleEndpoint(d, "we_a_1", now), ["webhook_deliveries_due_by_endpoint"], "no-seq-scan");
  });
});

describe("the expiry loop", () => {
  test("its probe and its pick of the next due discount read redemptions_expiring", async () => {
    await expectIndexed((d) => anyExpired(d), ["redemptions_expiring"]);
    await expectIndexed((d) => releaseNextExpired(d), ["redemptions_expiring"]);
  });
});

describe("sweepers", () => {
  test("every sweep named above exists (a renamed sweep needs its expectation moved)", () => {
    expect(Object.keys(SWEEPS)).toEqual(expect.arrayContaining(Object.keys(SWEEP_INDEXES)));
  });

  test.each(Object.keys(SWEEPS))("%s", async (name) => {
    await expectIndexed((d) => SWEEPS[name]!(sweepDeps(d)), SWEEP_INDEXES[name] ?? []);
  });
});

/**
 * Rows the sweeps delete take rows of other tables with them (ON DELETE CASCADE / SET NULL), or must
 * check that none refer to them: Postgres runs one statement per deleted row on the referencing table,
 * in the form below (ri_triggers.c). Every foreign key into a table we delete from is found in the
 * catalog, so a new one is checked too.
 */
const DELETED_FROM = ["events", "webhook_deliveries", "webhook_attempts", "idempotency_keys", "console_sessions", "console_actions"];

describe("what deleting cascades through", () => {
  test("every foreign key into a table the sweeps delete from is served by an index", async () => {
    const { rows: keys } = await explainer.query<{ name: string; referencing: string; columns: string[]; action: string }>(
      `SELECT c.conname AS name, c.conrelid::regclass::text AS referencing, c.confdeltype AS action,
         array(SELECT a.attname::text FROM unnest(c.conkey) AS k(attnum) JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum) AS columns
       FROM pg_constraint c WHERE c.contype = 'f' AND c.confrelid::regclass::text = ANY($1) ORDER BY 1`,
      [DELETED_FROM],
    );
    expect(keys.map((key) => `${key.referencing}.${key.columns.join(",")}`)).toEqual(
      expect.arrayContaining(["webhook_deliveries.event_id", "webhook_attempts.delivery_id", "redemptions.idempotency_id"]),
    );
    for (const key of keys) {
      expect(key.columns).toHaveLength(1);
      const column = key.columns[0]!;
      const where = `WHERE $1 OPERATOR(pg_catalog.=) ${column}`;
      const statement =
        key.action === "c"
          ? `DELETE FROM ONLY ${key.referencing} ${where}`
          : key.action === "n"
            ? `UPDATE ONLY ${key.referencing} SET ${column} = NULL ${where}`
            : `SELECT 1 FROM ONLY ${key.referencing} x ${where} FOR KEY SHARE OF x`;
      for (const generic of [false, true]) {
        const plan = await explain({ sql: statement, parameters: ["some_id"] }, generic);
        const onTable = nodes(plan).filter((node) => node["Relation Name"] === key.referencing && node["Node Type"] !== "ModifyTable");
        expect({ key: key.name, generic, scans: onTable.map((node) => node["Node Type"]) }).toEqual({
          key: key.name,
          generic,
          scans: [expect.stringMatching(/^(Index Scan|Index Only Scan|Bitmap Heap Scan)$/)],
        });
      }
    }
  });

  test("the retention delete's cascades, written plainly: deliveries by event, attempts by delivery", async () => {
    const byEvent = await explain({ sql: "DELETE FROM webhook_deliveries WHERE event_id = $1", parameters: ["evt_a_10"] }, false);
    expect(indexesUsed(byEvent)).toContain("webhook_deliveries_by_event");
    const byDelivery = await explain({ sql: "DELETE FROM webhook_attempts WHERE delivery_id = $1", parameters: ["dlv_a_10"] }, false);
    expect(indexesUsed(byDelivery)).toContain("webhook_attempts_delivery_id_attempt_key");
  });
});
