import { sql, type Kysely } from "kysely";

// The inbox: every signed inbound webhook is stored here before we answer 2xx, so a crash or a Redis
// loss after the answer loses nothing. The unique key makes a redelivered `webhook-id` a no-op.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE inbound_webhooks (
      id text PRIMARY KEY,
      merchant_id text NOT NULL REFERENCES merchants(id),
      source text NOT NULL CHECK (source IN ('payments', 'warehouse')),
      webhook_id text NOT NULL,
      event_type text NOT NULL,
      livemode boolean NOT NULL,
      payload text NOT NULL,
      outcome text,
      results jsonb,
      received_at timestamptz NOT NULL DEFAULT now(),
      processed_at timestamptz,
      -- Processed exactly when an outcome was recorded (both in the processing transaction).
      CHECK ((processed_at IS NULL) = (outcome IS NULL)),
      UNIQUE (merchant_id, source, webhook_id)
    );
    CREATE INDEX inbound_webhooks_unprocessed ON inbound_webhooks (received_at) WHERE processed_at IS NULL;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE inbound_webhooks`.execute(db);
}
