import { sql, type Kysely } from "kysely";

// Deliveries are sent in batches per endpoint (jobs/deliver-webhook.ts): a job claims the endpoint's
// due deliveries oldest first, then looks for its next due one. The global due index
// (next_attempt_at) would walk every other endpoint's due rows to find this one's; this index serves
// both by endpoint. It replaces webhook_deliveries_in_flight (endpoint_id, locked_until), which
// counted an endpoint's sends in flight when that cap lived in Postgres — it lives in Redis now
// (src/queue/endpoint-slots.ts), and nothing reads that index any more.
//
// Plain CREATE INDEX inside the migration's transaction, like every migration here: it blocks writes
// to webhook_deliveries while it builds. On a large table, build it first with CREATE INDEX
// CONCURRENTLY under the same name; IF NOT EXISTS then makes this step a no-op.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE INDEX IF NOT EXISTS webhook_deliveries_due_by_endpoint ON webhook_deliveries (endpoint_id, next_attempt_at) WHERE status = 'pending'`.execute(db);
  await sql`DROP INDEX IF EXISTS webhook_deliveries_in_flight`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE INDEX IF NOT EXISTS webhook_deliveries_in_flight ON webhook_deliveries (endpoint_id, locked_until) WHERE status = 'pending'`.execute(db);
  await sql`DROP INDEX webhook_deliveries_due_by_endpoint`.execute(db);
}
