import { sql } from "kysely";
import type { Db, Scope } from "../../db/database.js";
import type { InboundSource } from "../../db/tables/inbound-webhook.table.js";
import { randomString } from "../../ids.js";
import { hashApiKey, newWebhookSecret } from "./merchants.js";

export const newSecretKey = (livemode: boolean) => `sk_${livemode ? "live" : "test"}_${randomString(32)}`;

/** Redis channel on which key changes are announced to every web process (message: the key's hash). */
export const apiKeyChannel = (queuePrefix: string) => `${queuePrefix}:api-keys:changed`;

export interface KeyScope {
  scope: Scope;
  /** When the key stops working (a rolled key), or null. */
  expiresAt: Date | null;
}

/** The merchant and mode a secret key stands for, or null for an unknown, revoked or expired key. */
export async function findKeyScope(db: Db, keyHash: string): Promise<KeyScope | null> {
  const row = await db
    .selectFrom("api_keys")
    .select(["merchant_id", "livemode", "expires_at"])
    .where("key_hash", "=", keyHash)
    .where("revoked_at", "is", null)
    .where((eb) => eb.or([eb("expires_at", "is", null), eb("expires_at", ">", sql<Date>`now()`)]))
    .executeTakeFirst();
  return row ? { scope: { merchantId: row.merchant_id, livemode: row.livemode }, expiresAt: row.expires_at } : null;
}

/** Records use; the condition keeps it to one write a minute per key however many processes touch it. */
export async function touchApiKey(db: Db, keyHash: string): Promise<void> {
  await db
    .updateTable("api_keys")
    .set({ last_used_at: sql`now()` })
    .where("key_hash", "=", keyHash)
    .where((eb) => eb.or([eb("last_used_at", "is", null), eb("last_used_at", "<", sql<Date>`now() - interval '1 minute'`)]))
    .execute();
}

export interface RolledKey {
  merchant: string;
  mode: "test" | "live";
  secret_key: string;
  /** The keys of that mode that were working, and when each stops now. */
  previous_keys: { key: string; expires_at: string }[];
}

/**
 * A new key for the merchant and mode; every working key of that mode expires `expiresInMs` from now
 * (or stays at an earlier expiry it already had). Returns the new key once; only its hash is stored.
 */
export async function rollApiKey(db: Db, merchantId: string, livemode: boolean, expiresInMs: number): Promise<{ rolled: RolledKey; changedHashes: string[] }> {
  const secretKey = newSecretKey(livemode);
  return db.transaction().execute(async (trx) => {
    const expiresAt = sql<Date>`now() + make_interval(secs => ${expiresInMs / 1000})`;
    const previous = await trx
      .updateTable("api_keys")
      .set({ expires_at: sql`LEAST(coalesce(expires_at, 'infinity'), ${expiresAt})` })
      .where("merchant_id", "=", merchantId)
      .where("livemode", "=", livemode)
      .where("revoked_at", "is", null)
      .where((eb) => eb.or([eb("expires_at", "is", null), eb("expires_at", ">", sql<Date>`now()`)]))
      .returning(["key_hash", "last4", "expires_at"])
      .execute();
    await trx
      .insertInto("api_keys")
      .values({ key_hash: hashApiKey(secretKey), merchant_id: merchantId, livemode, revoked_at: null, expires_at: null, last_used_at: null, last4: secretKey.slice(-4) })
      .execute();
    const mode = livemode ? "live" : "test";
    return {
      rolled: {
        merchant: merchantId,
        mode,
        secret_key: secretKey,
        previous_keys: previous.map((row) => ({ key: displayKey(livemode, row.last4), expires_at: row.expires_at!.toISOString() })),
      },
      changedHashes: previous.map((row) => row.key_hash),
    };
  });
}

/** Revokes one key of the merchant; false if the merchant has no such key. */
export async function revokeApiKey(db: Db, merchantId: string, key: string): Promise<{ revoked: boolean; keyHash: string }> {
  const keyHash = hashApiKey(key);
  const result = await db
    .updateTable("api_keys")
    .set({ revoked_at: sql`coalesce(revoked_at, now())` })
    .where("key_hash", "=", keyHash)
    .where("merchant_id", "=", merchantId)
    .executeTakeFirst();
  return { revoked: Number(result.numUpdatedRows) > 0, keyHash };
}

const displayKey = (livemode: boolean, last4: string | null) => `sk_${livemode ? "live" : "test"}_…${last4 ?? "????"}`;

export async function listApiKeys(db: Db, merchantId: string) {
  const rows = await db
    .selectFrom("api_keys")
    .select(["livemode", "last4", "created_at", "expires_at", "last_used_at", "revoked_at"])
    .where("merchant_id", "=", merchantId)
    .orderBy("created_at")
    .execute();
  const now = Date.now();
  return rows.map((row) => ({
    key: displayKey(row.livemode, row.last4),
    mode: row.livemode ? "live" : "test",
    status: row.revoked_at ? "revoked" : row.expires_at && row.expires_at.getTime() <= now ? "expired" : "active",
    created: row.created_at.toISOString(),
    expires: row.expires_at?.toISOString() ?? null,
    last_used: row.last_used_at?.toISOString() ?? null,
    revoked: row.revoked_at?.toISOString() ?? null,
  }));
}

export async function listMerchants(db: Db) {
  const rows = await db.selectFrom("merchants").select(["id", "name", "created_at"]).orderBy("created_at").execute();
  return rows.map((row) => ({ merchant: row.id, name: row.name, created: row.created_at.toISOString() }));
}

export async function merchantExists(db: Db, merchantId: string): Promise<boolean> {
  return (await db.selectFrom("merchants").select("id").where("id", "=", merchantId).executeTakeFirst()) !== undefined;
}

/**
 * A new inbound secret for the source; the secrets in use expire `expiresInMs` from now, so both
 * verify during the overlap. Returns the new `whsec_` once.
 */
export async function rotateInboundSecret(db: Db, merchantId: string, source: InboundSource, expiresInMs: number) {
  const secret = newWebhookSecret();
  return db.transaction().execute(async (trx) => {
    const expiresAt = sql<Date>`now() + make_interval(secs => ${expiresInMs / 1000})`;
    const previous = await trx
      .updateTable("inbound_secrets")
      .set({ expires_at: sql`LEAST(coalesce(expires_at, 'infinity'), ${expiresAt})` })
      .where("merchant_id", "=", merchantId)
      .where("source", "=", source)
      .where((eb) => eb.or([eb("expires_at", "is", null), eb("expires_at", ">", sql<Date>`now()`)]))
      .returning(["expires_at"])
      .execute();
    await trx.insertInto("inbound_secrets").values({ merchant_id: merchantId, source, secret, expires_at: null }).execute();
    return { merchant: merchantId, source, secret, previous_secrets_expire_at: previous.map((row) => row.expires_at!.toISOString()) };
  });
}
