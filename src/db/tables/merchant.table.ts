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
