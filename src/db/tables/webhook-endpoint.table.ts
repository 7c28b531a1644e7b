import type { Generated, JSONColumnType } from "kysely";
import type { Metadata } from "./account.table.js";

export type WebhookEndpointStatus = "enabled" | "disabled";

export interface WebhookEndpointTable {
  id: string;
  seq: Generated<number>;
  merchant_id: string;
  livemode: boolean;
  url: string;
  /** Event types, or ["*"] for all. */
  enabled_events: string[];
  status: WebhookEndpointStatus;
  description: string | null;
  metadata: JSONColumnType<Metadata>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  /** Soft delete: deliveries and attempts of a deleted endpoint keep their foreign key. */
  deleted_at: Date | null;
}

/** AES-256-GCM ciphertext of a `whsec_` secret. Several are live during a rotation overlap. */
export interface WebhookEndpointSecretTable {
  id: Generated<number>;
  endpoint_id: string;
  ciphertext: string;
  created_at: Generated<Date>;
  /** null = current secret; set on rotation to the end of the overlap. */
  expires_at: Date | null;
}
