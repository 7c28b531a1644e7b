import { sql, type Kysely } from "kysely";

// Retention of the console's action log (jobs/sweepers.ts, `expiredConsoleActions`): rows older than
// CONSOLE_ACTION_RETENTION_DAYS are deleted in batches, oldest first, found by created_at. The list
// index (merchant_id, livemode, seq) cannot serve that, so without this every sweep round scanned the
// whole log. (Expired sessions are found by console_sessions_expiry, created with the table.)
//
// Plain CREATE INDEX inside the migration's transaction, like every migration here: it blocks writes
// to console_actions while it builds. On a large log, build it first with CREATE INDEX CONCURRENTLY
// under the same name; IF NOT EXISTS then makes this migration a no-op.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE INDEX IF NOT EXISTS console_actions_retention ON console_actions (created_at)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX console_actions_retention`.execute(db);
}
