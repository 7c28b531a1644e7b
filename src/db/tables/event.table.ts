import type { Generated } from "kysely";

/**
 * The outbox: one row per redemption state change, written in the same transaction as the change.
 * `payload` is the event object serialised once; deliveries send exactly these bytes.
 */
export interface EventTable {
  id: string;
  seq: Generated<number>;
  merchant_id: string;
  livemode: boolean;
  type: string;
  redemption_id: string | null;
  version: number;
  payload: string;
  created_at: Generated<Date>;
  /** Set once the relay has turned the row into deliveries. */
  published_at: Date | null;
}
