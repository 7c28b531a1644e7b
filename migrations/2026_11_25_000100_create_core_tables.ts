import { sql, type Kysely } from "kysely";

// Every invariant the money depends on is enforced here, not only in TypeScript:
// balances and inventory can't go negative, a redemption can have only one debit and one credit-back,
// an idempotency key can exist once per merchant and mode, and the ledger can't be edited.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE merchants (
      id text PRIMARY KEY,
      name text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE api_keys (
      key_hash text PRIMARY KEY,
      merchant_id text NOT NULL REFERENCES merchants(id),
      livemode boolean NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      revoked_at timestamptz
    );

    CREATE TABLE inbound_secrets (
      id serial PRIMARY KEY,
      merchant_id text NOT NULL REFERENCES merchants(id),
      source text NOT NULL CHECK (source IN ('payments', 'warehouse')),
      secret text NOT NULL CHECK (secret LIKE 'whsec\\_%'),
      created_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz
    );
    CREATE INDEX inbound_secrets_by_merchant ON inbound_secrets (merchant_id, source);

    CREATE TABLE loyalty_accounts (
      id text PRIMARY KEY,
      seq bigserial NOT NULL UNIQUE,
      merchant_id text NOT NULL REFERENCES merchants(id),
      livemode boolean NOT NULL,
      customer text,
      status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'closed')),
      balance bigint NOT NULL DEFAULT 0 CHECK (balance >= 0 AND balance < 9007199254740991),
      lifetime_points bigint NOT NULL DEFAULT 0 CHECK (lifetime_points >= 0 AND lifetime_points < 9007199254740991),
      metadata jsonb NOT NULL DEFAULT '{}',
      created_at timestamptz NOT NULL DEFAULT now(),
      closed_at timestamptz
    );
    CREATE INDEX loyalty_accounts_list ON loyalty_accounts (merchant_id, livemode, seq);
    CREATE INDEX loyalty_accounts_by_customer ON loyalty_accounts (merchant_id, livemode, customer, seq);

    CREATE TABLE rewards (
      id text PRIMARY KEY,
      seq bigserial NOT NULL UNIQUE,
      merchant_id text NOT NULL REFERENCES merchants(id),
      livemode boolean NOT NULL,
      name text NOT NULL,
      type text NOT NULL CHECK (type IN ('discount_amount', 'discount_percent', 'free_product', 'store_credit')),
      cost bigint NOT NULL CHECK (cost > 0),
      value jsonb NOT NULL,
      active boolean NOT NULL DEFAULT true,
      inventory bigint CHECK (inventory >= 0),
      metadata jsonb NOT NULL DEFAULT '{}',
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX rewards_list ON rewards (merchant_id, livemode, seq);

    CREATE TABLE idempotency_keys (
      id text PRIMARY KEY,
      merchant_id text NOT NULL REFERENCES merchants(id),
      livemode boolean NOT NULL,
      key text NOT NULL,
      client_key boolean NOT NULL,
      method text NOT NULL,
      path text NOT NULL,
      request_hash text NOT NULL,
      operation text,
      params jsonb,
      status text NOT NULL CHECK (status IN ('pending', 'completed')),
      response_status integer,
      response_body text,
      request_id text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      completed_at timestamptz,
      CHECK ((status = 'completed') = (response_status IS NOT NULL AND response_body IS NOT NULL)),
      UNIQUE (merchant_id, livemode, key)
    );
    CREATE INDEX idempotency_keys_pending ON idempotency_keys (created_at) WHERE status = 'pending';
    CREATE INDEX idempotency_keys_expiry ON idempotency_keys (created_at);

    CREATE TABLE redemptions (
      id text PRIMARY KEY,
      seq bigserial NOT NULL UNIQUE,
      merchant_id text NOT NULL REFERENCES merchants(id),
      livemode boolean NOT NULL,
      account_id text NOT NULL REFERENCES loyalty_accounts(id),
      reward_id text NOT NULL REFERENCES rewards(id),
      reward_type text NOT NULL,
      quantity integer NOT NULL CHECK (quantity > 0),
      points bigint NOT NULL CHECK (points > 0),
      status text NOT NULL CHECK (status IN ('pending', 'fulfillment_pending', 'applied', 'fulfilled', 'released', 'reversed')),
      discount jsonb,
      discount_code text,
      credit jsonb,
      fulfillment jsonb,
      payment_id text,
      points_transaction_id text NOT NULL,
      reversal jsonb,
      expires_at timestamptz,
      version integer NOT NULL CHECK (version >= 1),
      metadata jsonb NOT NULL DEFAULT '{}',
      idempotency_id text UNIQUE REFERENCES idempotency_keys(id) ON DELETE SET NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE UNIQUE INDEX redemptions_discount_code ON redemptions (merchant_id, discount_code) WHERE discount_code IS NOT NULL;
    CREATE INDEX redemptions_list ON redemptions (merchant_id, livemode, seq);
    CREATE INDEX redemptions_by_account ON redemptions (account_id, seq);
    CREATE INDEX redemptions_by_reward ON redemptions (reward_id, seq);
    CREATE INDEX redemptions_expiring ON redemptions (expires_at) WHERE status = 'pending';

    CREATE TABLE points_transactions (
      id text PRIMARY KEY,
      seq bigserial NOT NULL UNIQUE,
      merchant_id text NOT NULL REFERENCES merchants(id),
      livemode boolean NOT NULL,
      account_id text NOT NULL REFERENCES loyalty_accounts(id),
      type text NOT NULL CHECK (type IN ('earn', 'adjustment', 'redemption', 'release', 'reversal')),
      amount bigint NOT NULL,
      balance_after bigint NOT NULL CHECK (balance_after >= 0),
      reason text,
      redemption_id text REFERENCES redemptions(id) DEFERRABLE INITIALLY DEFERRED,
      metadata jsonb NOT NULL DEFAULT '{}',
      created_at timestamptz NOT NULL DEFAULT now(),
      -- The sign follows the type, so a credit can never be booked as a debit or the reverse.
      CHECK (CASE WHEN type IN ('earn', 'release', 'reversal') THEN amount > 0 ELSE amount < 0 END),
      CHECK ((type IN ('redemption', 'release', 'reversal')) = (redemption_id IS NOT NULL))
    );
    CREATE INDEX points_transactions_by_account ON points_transactions (account_id, seq);
    -- Exactly one debit per redemption, at most one credit-back (release or reversal).
    CREATE UNIQUE INDEX points_transactions_one_debit ON points_transactions (redemption_id) WHERE type = 'redemption';
    CREATE UNIQUE INDEX points_transactions_one_credit ON points_transactions (redemption_id) WHERE type IN ('release', 'reversal');

    CREATE FUNCTION points_transactions_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'points_transactions is append-only (% refused)', TG_OP USING ERRCODE = 'raise_exception';
    END $$;
    CREATE TRIGGER points_transactions_append_only BEFORE UPDATE OR DELETE ON points_transactions
      FOR EACH ROW EXECUTE FUNCTION points_transactions_append_only();

    CREATE TABLE events (
      id text PRIMARY KEY,
      seq bigserial NOT NULL UNIQUE,
      merchant_id text NOT NULL REFERENCES merchants(id),
      livemode boolean NOT NULL,
      type text NOT NULL,
      redemption_id text REFERENCES redemptions(id),
      version integer NOT NULL,
      payload text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      published_at timestamptz
    );
    -- One event per status change: a version is emitted once. Settlement conflicts are not status
    -- changes; they carry the current version and may repeat.
    CREATE UNIQUE INDEX events_one_per_version ON events (redemption_id, version)
      WHERE type <> 'loyalty.redemption.settlement_conflict';
    CREATE INDEX events_list ON events (merchant_id, livemode, seq);
    CREATE INDEX events_unpublished ON events (seq) WHERE published_at IS NULL;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TABLE events, points_transactions, redemptions, idempotency_keys, rewards, loyalty_accounts,
      inbound_secrets, api_keys, merchants;
    DROP FUNCTION points_transactions_append_only();
  `.execute(db);
}
