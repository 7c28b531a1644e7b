import type { Generated } from "kysely";

export interface MerchantTable {
  id: string;
  name: string;
  created_at: Generated<Date>;
}

/** Secret API keys, stored as SHA-256 of the key: keys are 192-bit random, so a fast hash is enough. */
export interface ApiKeyTable {
  key_hash: string;
  merchant_id: string;
  livemode: boolean;
  created_at: Generated<Date>;
  revoked_at: Date | null;
  /** A rolled key keeps working until then; null: no expiry. */
  expires_at: Date | null;
  /** Refreshed at most once a minute per key and web process. */
  last_used_at: Date | null;
  /** The key's last four characters (null for keys created before they were kept). */
  last4: string | null;
}

/** Secrets the payment provider / warehouse sign inbound webhooks with; several may be valid (rotation). */
export interface InboundSecretTable {
  id: Generated<number>;
  merchant_id: string;
  source: "payments" | "warehouse";
  secret: string;
  created_at: Generated<Date>;
  expires_at: Date | null;
}
