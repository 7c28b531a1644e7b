import { createHash, randomBytes } from "node:crypto";
import type { Db, Scope } from "../../db/database.js";
import { newId, randomString } from "../../ids.js";

export const hashApiKey = (key: string) => createHash("sha256").update(key).digest("hex");

/** Standard Webhooks secrets: `whsec_` + base64 of 24 random bytes. */
export const newWebhookSecret = () => `whsec_${randomBytes(24).toString("base64")}`;

export interface CreatedMerchant {
  merchant: string;
  secret_key_test: string;
  secret_key_live: string;
  inbound_secrets: { payments: string; warehouse: string };
}

/** Creates a merchant with its keys. The keys are returned once and only their hashes are stored. */
export async function createMerchant(db: Db, name: string): Promise<CreatedMerchant> {
  const created: CreatedMerchant = {
    merchant: newId("merchant"),
    secret_key_test: `sk_test_${randomString(32)}`,
    secret_key_live: `sk_live_${randomString(32)}`,
    inbound_secrets: { payments: newWebhookSecret(), warehouse: newWebhookSecret() },
  };
  await db.transaction().execute(async (trx) => {
    await trx.insertInto("merchants").values({ id: created.merchant, name }).execute();
    await trx
      .insertInto("api_keys")
      .values([
        { key_hash: hashApiKey(created.secret_key_test), merchant_id: created.merchant, livemode: false, revoked_at: null, expires_at: null, last_used_at: null, last4: created.secret_key_test.slice(-4) },
        { key_hash: hashApiKey(created.secret_key_live), merchant_id: created.merchant, livemode: true, revoked_at: null, expires_at: null, last_used_at: null, last4: created.secret_key_live.slice(-4) },
      ])
      .execute();
    await trx
      .insertInto("inbound_secrets")
      .values([
        { merchant_id: created.merchant, source: "payments", secret: created.inbound_secrets.payments, expires_at: null },
        { merchant_id: created.merchant, source: "warehouse", secret: created.inbound_secrets.warehouse, expires_at: null },
      ])
      .execute();
  });
  return created;
}

/** The merchant and mode a secret key stands for, or null for an unknown or revoked key. */
export async function findScopeByApiKey(db: Db, key: string): Promise<Scope | null> {
  const row = await db
    .selectFrom("api_keys")
    .select(["merchant_id", "livemode"])
    .where("key_hash", "=", hashApiKey(key))
    .where("revoked_at", "is", null)
    .where((eb) => eb.or([eb("expires_at", "is", null), eb("expires_at", ">", new Date())]))
    .executeTakeFirst();
  return row ? { merchantId: row.merchant_id, livemode: row.livemode } : null;
}
