import { sql, type Kysely } from "kysely";

// Indexes for work that runs all the time and must stay cheap as the tables grow (proved by
// test/integration/query-plans.test.ts):
// - the event-retention sweep deletes events; the cascade then deletes each event's deliveries by
//   event_id, which only the partial unique index (initial deliveries) covered, so every deleted event
//   scanned webhook_deliveries. Attempts cascade by delivery_id, covered by UNIQUE (delivery_id, attempt).
// - the ledger listed without an account filter, and redemptions filtered by status, had only indexes
//   that walk every merchant's rows (seq) or every status of the merchant (redemptions_list).
//
// Plain CREATE INDEX, inside the migration's transaction like every migration here: it blocks writes
// to the table while it builds. On a large database, build them first with CREATE INDEX CONCURRENTLY
// under the same names; IF NOT EXISTS then makes this migration a no-op.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE INDEX IF NOT EXISTS webhook_deliveries_by_event ON webhook_deliveries (event_id);
    CREATE INDEX IF NOT EXISTS points_transactions_list ON points_transactions (merchant_id, livemode, seq);
    CREATE INDEX IF NOT EXISTS redemptions_by_status ON redemptions (merchant_id, livemode, status, seq);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX webhook_deliveries_by_event, points_transactions_list, redemptions_by_status`.execute(db);
}
