import { sql, type Kysely } from "kysely";

// Sandbox payments (docs/api.md §7): what `POST /v1/test/payments` charged. Test mode only, so no livemode
// column. The amounts are checked here as well as in code: a sandbox that lies about arithmetic teaches
// merchants the wrong thing.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE test_payments (
      id text PRIMARY KEY,
      seq bigserial NOT NULL UNIQUE,
      merchant_id text NOT NULL REFERENCES merchants(id),
      amount bigint NOT NULL CHECK (amount > 0),
      amount_discount bigint NOT NULL CHECK (amount_discount >= 0 AND amount_discount <= amount),
      amount_charged bigint NOT NULL CHECK (amount_charged = amount - amount_discount),
      currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
      card_last4 text NOT NULL,
      status text NOT NULL CHECK (status IN ('completed', 'failed', 'requires_authentication', 'expired')),
      failure_code text,
      discounts jsonb NOT NULL DEFAULT '[]',
      customer text,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      CHECK ((status = 'failed') = (failure_code IS NOT NULL))
    );
    CREATE INDEX test_payments_by_merchant ON test_payments (merchant_id, seq);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE test_payments`.execute(db);
}
