import { sql, type MigrationResult, type MigrationResultSet } from "kysely";
import { MIGRATIONS } from "../../migrations/index.js";
import type { Db } from "./database.js";

/** Serialises concurrent starts (two `release` runs, or `npm start` next to one). */
const MIGRATION_LOCK_KEY = 0x6c72_6d67; // "lrmg"

/**
 * Applies every pending migration, in name order, in ONE transaction that first takes a
 * transaction-level advisory lock: a concurrent start waits for it, then finds nothing left to do.
 *
 * Not Kysely's Migrator: it takes a session-level advisory lock outside its transaction and releases it
 * in another statement, which through PgBouncer in transaction mode may run on another server
 * connection, leaving the lock held on the first for good (and every later deploy waiting an hour). The
 * bookkeeping is Kysely's own table (`kysely_migration`: name, ISO timestamp), so databases migrated
 * before stay as they are. A failure rolls back every migration of the run.
 */
export async function migrateToLatest(db: Db): Promise<MigrationResultSet> {
  return db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY}::bigint)`.execute(trx);
    await sql`CREATE TABLE IF NOT EXISTS kysely_migration (name varchar(255) PRIMARY KEY, timestamp varchar(255) NOT NULL)`.execute(trx);
    const { rows } = await sql<{ name: string }>`SELECT name FROM kysely_migration ORDER BY name`.execute(trx);
    const known = Object.keys(MIGRATIONS).sort();
    const applied = rows.map((row) => row.name);
    const missing = applied.filter((name) => !(name in MIGRATIONS));
    // A database migrated by newer code, or by another branch: refuse rather than guess.
    if (missing.length > 0) throw new Error(`corrupted migrations: applied migration(s) ${missing.join(", ")} are not in this build`);
    const last = applied.at(-1);
    const pending = known.filter((name) => !applied.includes(name));
    const early = pending.filter((name) => last !== undefined && name < last);
    if (early.length > 0) throw new Error(`corrupted migrations: ${early.join(", ")} would run after the later ${last}`);
    const results: MigrationResult[] = [];
    for (const name of pending) {
      await MIGRATIONS[name]!.up(trx);
      await sql`INSERT INTO kysely_migration (name, timestamp) VALUES (${name}, ${new Date().toISOString()})`.execute(trx);
      results.push({ migrationName: name, direction: "Up", status: "Success" });
    }
    return { results };
  });
}
