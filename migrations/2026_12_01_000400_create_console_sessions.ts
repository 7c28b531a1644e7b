import { sql, type Kysely } from "kysely";

/**
 * The merchant console (/console): sessions opened by signing in with a secret key, and the log of
 * every action taken through it. A session stores only hashes: of its cookie token and of its CSRF
 * token; the key itself is never stored, only which key (its hash, as api_keys knows it) and its last
 * four characters. A session ends at `expires_at` (fixed, 8 h after sign-in), at sign-out (the row is
 * deleted), or as soon as its key is revoked or expires (checked on every request).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE console_sessions (
      id text PRIMARY KEY,
      token_hash text NOT NULL UNIQUE,
      csrf_hash text NOT NULL,
      merchant_id text NOT NULL REFERENCES merchants(id),
      livemode boolean NOT NULL,
      api_key_hash text NOT NULL REFERENCES api_keys(key_hash) ON DELETE CASCADE,
      key_last4 text NOT NULL CHECK (length(key_last4) = 4),
      created_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL
    );
    CREATE INDEX console_sessions_expiry ON console_sessions (expires_at);
    CREATE INDEX console_sessions_by_key ON console_sessions (api_key_hash);

    CREATE TABLE console_actions (
      id text PRIMARY KEY,
      seq bigserial NOT NULL UNIQUE,
      merchant_id text NOT NULL REFERENCES merchants(id),
      livemode boolean NOT NULL,
      -- No foreign key: the log outlives the session (sign-out deletes it).
      session_id text NOT NULL,
      key_last4 text NOT NULL,
      action text NOT NULL,
      target text,
      detail jsonb NOT NULL DEFAULT '{}',
      outcome text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX console_actions_list ON console_actions (merchant_id, livemode, seq);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE console_actions, console_sessions`.execute(db);
}
