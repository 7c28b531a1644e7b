import { sql, type Kysely } from "kysely";

/**
 * API key lifecycle (README "Keys and secrets"): a rolled key keeps working until `expires_at`;
 * `last_used_at` is refreshed at most once a minute per key and web process; `last4` lets an operator
 * tell keys apart (`keys list`) without the key itself ever being stored. Keys created before this
 * migration have no `last4`.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE api_keys
      ADD COLUMN expires_at timestamptz,
      ADD COLUMN last_used_at timestamptz,
      ADD COLUMN last4 text CHECK (last4 IS NULL OR length(last4) = 4);
    CREATE INDEX api_keys_by_merchant ON api_keys (merchant_id, livemode);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP INDEX api_keys_by_merchant;
    ALTER TABLE api_keys DROP COLUMN expires_at, DROP COLUMN last_used_at, DROP COLUMN last4;
  `.execute(db);
}
