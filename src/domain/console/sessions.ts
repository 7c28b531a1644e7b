import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { sql } from "kysely";
import type { Db, Scope } from "../../db/database.js";
import { randomString } from "../../ids.js";

/** Fixed lifetime from sign-in (not sliding): a forgotten laptop is signed out by the end of the day. */
export const CONSOLE_SESSION_TTL_MS = 8 * 3_600_000;

const sha256 = (value: string) => createHash("sha256").update(value).digest("hex");

/**
 * The CSRF token of a session, derived from its cookie token (HMAC), so the server can render it on
 * every page without storing it; the session row keeps only its hash, which is what a POST is checked
 * against. Someone who cannot read the cookie (HttpOnly) or the page cannot know it.
 */
export const csrfTokenFor = (sessionToken: string) => createHmac("sha256", sessionToken).update("console-csrf").digest("base64url");

export interface ConsoleSession {
  id: string;
  scope: Scope;
  keyLast4: string;
  expiresAt: Date;
  /** The plaintext CSRF token (derived from the cookie): rendered into every form. */
  csrfToken: string;
  csrfHash: string;
}

/** Opens a session for a key that was just verified; returns the cookie token (shown nowhere else). */
export async function openSession(db: Db, scope: Scope, key: { hash: string; last4: string }): Promise<{ token: string; session: ConsoleSession }> {
  const token = randomBytes(32).toString("base64url");
  const csrfToken = csrfTokenFor(token);
  const row = await db
    .insertInto("console_sessions")
    .values({
      id: `cs_${randomString(24)}`,
      token_hash: sha256(token),
      csrf_hash: sha256(csrfToken),
      merchant_id: scope.merchantId,
      livemode: scope.livemode,
      api_key_hash: key.hash,
      key_last4: key.last4,
      expires_at: new Date(Date.now() + CONSOLE_SESSION_TTL_MS),
    })
    .returning(["id", "expires_at", "csrf_hash"])
    .executeTakeFirstOrThrow();
  return { token, session: { id: row.id, scope, keyLast4: key.last4, expiresAt: row.expires_at, csrfToken, csrfHash: row.csrf_hash } };
}

/**
 * The session a cookie token stands for: unexpired, and its key still working (not revoked, not past a
 * roll's expiry). Anything else is no session.
 */
export async function findSession(db: Db, token: string): Promise<ConsoleSession | null> {
  if (token.length === 0 || token.length > 100) return null;
  const row = await db
    .selectFrom("console_sessions as s")
    .innerJoin("api_keys as k", "k.key_hash", "s.api_key_hash")
    .select(["s.id", "s.merchant_id", "s.livemode", "s.key_last4", "s.expires_at", "s.csrf_hash"])
    .where("s.token_hash", "=", sha256(token))
    .where("s.expires_at", ">", sql<Date>`now()`)
    .where("k.revoked_at", "is", null)
    .where((eb) => eb.or([eb("k.expires_at", "is", null), eb("k.expires_at", ">", sql<Date>`now()`)]))
    .executeTakeFirst();
  if (!row) return null;
  return {
    id: row.id,
    scope: { merchantId: row.merchant_id, livemode: row.livemode },
    keyLast4: row.key_last4,
    expiresAt: row.expires_at,
    csrfToken: csrfTokenFor(token),
    csrfHash: row.csrf_hash,
  };
}

/** Whether a posted CSRF token is the session's (constant-time on the hashes). */
export function csrfMatches(session: ConsoleSession, posted: unknown): boolean {
  if (typeof posted !== "string" || posted.length === 0 || posted.length > 200) return false;
  const a = Buffer.from(sha256(posted), "hex");
  const b = Buffer.from(session.csrfHash, "hex");
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Sign-out: the row goes, so the cookie is worthless even if it was copied. Expired rows go too. */
export async function closeSession(db: Db, sessionId: string): Promise<void> {
  await db.deleteFrom("console_sessions").where((eb) => eb.or([eb("id", "=", sessionId), eb("expires_at", "<=", sql<Date>`now()`)])).execute();
}

export interface ActionRecord {
  action: string;
  target: string | null;
  detail?: Record<string, unknown>;
  outcome: string;
}

/** Every console action, whatever its outcome, with the key's last four. */
export async function recordAction(db: Db, session: ConsoleSession, record: ActionRecord): Promise<void> {
  await db
    .insertInto("console_actions")
    .values({
      id: `cact_${randomString(24)}`,
      merchant_id: session.scope.merchantId,
      livemode: session.scope.livemode,
      session_id: session.id,
      key_last4: session.keyLast4,
      action: record.action,
      target: record.target,
      detail: JSON.stringify(record.detail ?? {}),
      outcome: record.outcome,
    })
    .execute();
}

export async function listActions(db: Db, scope: Scope, params: { limit: number; before?: number | undefined }) {
  let query = db
    .selectFrom("console_actions")
    .selectAll()
    .where("merchant_id", "=", scope.merchantId)
    .where("livemode", "=", scope.livemode);
  if (params.before !== undefined) query = query.where("seq", "<", params.before);
  const rows = await query.orderBy("seq", "desc").limit(params.limit + 1).execute();
  return { rows: rows.slice(0, params.limit), hasMore: rows.length > params.limit };
}
