import { sql } from "kysely";
import { afterAll, beforeAll, expect, test } from "vitest";
import { createDb } from "../../src/db/client.js";
import type { Db } from "../../src/db/database.js";
import { createTestEnvironment, destroyTestEnvironment } from "../helpers/harness.js";

/**
 * Regression (found by the chaos suite): a pooled connection that loses its server while checked out,
 * between two queries, emitted an unhandled 'error' and killed the whole process on a Postgres
 * restart. We terminate only our own backend here; the shared server is not disturbed.
 */
let environment: Awaited<ReturnType<typeof createTestEnvironment>>;
let db: Db;
beforeAll(async () => {
  environment = await createTestEnvironment();
  db = createDb(environment.databaseUrl, 2);
});
afterAll(async () => {
  await db?.destroy();
  if (environment) await destroyTestEnvironment(environment);
});

test("a checked-out connection whose backend dies does not crash the process; the next query reconnects", async () => {
  const uncaught: unknown[] = [];
  const onUncaught = (error: unknown) => uncaught.push(error);
  process.on("uncaughtException", onUncaught);
  try {
    await db.connection().execute(async (connection) => {
      const { rows } = await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(connection);
      // From the pool's other connection, as a Postgres restart would do to every backend.
      await sql`SELECT pg_terminate_backend(${rows[0]!.pid})`.execute(db);
      await new Promise((resolve) => setTimeout(resolve, 300));
      await expect(sql`SELECT 1`.execute(connection)).rejects.toThrow();
    });
    const { rows } = await sql<{ one: number }>`SELECT 1 AS one`.execute(db);
    expect(rows[0]!.one).toBe(1);
  } finally {
    process.off("uncaughtException", onUncaught);
  }
  expect(uncaught).toEqual([]);
});
