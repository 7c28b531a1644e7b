import { sql } from "kysely";
import { afterAll, beforeAll, expect, test } from "vitest";
import { createDb } from "../../src/db/client.js";
import type { Db } from "../../src/db/database.js";
import { inTransaction } from "../../src/db/transaction.js";
import { createTestEnvironment, destroyTestEnvironment } from "../helpers/harness.js";

let environment: Awaited<ReturnType<typeof createTestEnvironment>>;
let db: Db;
beforeAll(async () => {
  environment = await createTestEnvironment();
  db = createDb(environment.databaseUrl, 1);
});
afterAll(async () => {
  await db?.destroy();
  if (environment) await destroyTestEnvironment(environment);
});

test("parameterised queries run as named prepared statements on their connection", async () => {
  const before = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_prepared_statements WHERE name LIKE ${"k_%"}`.execute(db);
  await db.selectFrom("merchants").select("id").where("id", "=", "mer_x").execute();
  await db.selectFrom("merchants").select("id").where("id", "=", "mer_y").execute();
  const after = await sql<{ name: string; statement: string }>`SELECT name, statement FROM pg_prepared_statements WHERE name LIKE ${"k_%"}`.execute(db);
  expect(after.rows.length).toBeGreaterThan(before.rows[0]!.n);
  expect(after.rows.some((row) => row.statement.includes('from "merchants"'))).toBe(true);
});

test("a statement prepared before a migration changed its table is replaced, and the transaction retried", async () => {
  await sql`CREATE TABLE drift (id int PRIMARY KEY, a int)`.execute(db);
  await sql`INSERT INTO drift VALUES (1, 1)`.execute(db);
  const read = () => inTransaction(db, (trx) => sql<Record<string, number>>`SELECT * FROM drift WHERE id = ${1}`.execute(trx));
  expect((await read()).rows[0]).toEqual({ id: 1, a: 1 });
  await sql`ALTER TABLE drift ADD COLUMN b int DEFAULT 7`.execute(db);
  // The pool's one connection holds the old plan: the first run fails with 0A000, the retry succeeds.
  expect((await read()).rows[0]).toEqual({ id: 1, a: 1, b: 7 });
});

test("relaying keeps working once Postgres switches the prepared insert to its generic plan", async () => {
  // Regression: a parameter in ON CONFLICT's partial-index predicate broke the relay after five runs
  // (the generic plan cannot prove the index matches). Ten rounds on one connection cross that line.
  const { relayEvents } = await import("../../src/domain/webhooks/relay.js");
  await sql`INSERT INTO merchants (id, name) VALUES ('mer_generic', 'g')`.execute(db);
  await sql`INSERT INTO webhook_endpoints (id, merchant_id, livemode, url, enabled_events, status)
            VALUES ('we_generic', 'mer_generic', false, 'http://127.0.0.1:9/x', '{*}', 'enabled')`.execute(db);
  for (let round = 0; round < 10; round++) {
    await sql`INSERT INTO events (id, merchant_id, livemode, type, version, payload)
              VALUES (${`evt_generic_${round}`}, 'mer_generic', false, 'loyalty.redemption.created', 1, '{}')`.execute(db);
    const relayed = await relayEvents(db);
    expect(relayed.deliveries).toHaveLength(1);
  }
  const deliveries = await sql<{ n: number }>`SELECT count(*)::int AS n FROM webhook_deliveries WHERE endpoint_id = 'we_generic'`.execute(db);
  expect(deliveries.rows[0]!.n).toBe(10);
});
