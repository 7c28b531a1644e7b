import type { Generated, JSONColumnType } from "kysely";

/** A console sign-in (migrations/2026_12_01_000400_create_console_sessions.ts): hashes only. */
export interface ConsoleSessionTable {
  id: string;
  /** SHA-256 of the cookie's token. */
  token_hash: string;
  /** SHA-256 of the session's CSRF token (itself derived from the cookie token: see src/domain/console/sessions.ts). */
  csrf_hash: string;
  merchant_id: string;
  livemode: boolean;
  /** The key signed in with, by its hash (api_keys' primary key): a revoked key ends the session. */
  api_key_hash: string;
  key_last4: string;
  created_at: Generated<Date>;
  expires_at: Date;
}

/** One action taken through the console: what, when, by which key (last four), and how it ended. */
export interface ConsoleActionTable {
  id: string;
  seq: Generated<number>;
  merchant_id: string;
  livemode: boolean;
  session_id: string;
  key_last4: string;
  action: string;
  target: string | null;
  detail: JSONColumnType<Record<string, unknown>>;
  outcome: string;
  created_at: Generated<Date>;
}
