import type { Generated, JSONColumnType } from "kysely";

export type InboundSource = "payments" | "warehouse";

/** What processing did with one redemption reference of an inbound event. */
export interface InboundResult {
  /** The reference as sent (`rdm_…` or a discount code). */
  ref: string;
  /** The redemption it matched, or null when unmatched. */
  redemption: string | null;
  outcome: string;
}

/**
 * The inbox: one row per (merchant, source, webhook-id), committed before the 2xx. `payload` is the raw
 * body as signed. `outcome` and `processed_at` are set in the same transaction as the effects, so a
 * rerun of the processing job finds the row processed and does nothing.
 */
export interface InboundWebhookTable {
  id: string;
  merchant_id: string;
  source: InboundSource;
  webhook_id: string;
  event_type: string;
  /** From the envelope; selects which mode's redemptions the event can touch. */
  livemode: boolean;
  payload: string;
  /** `processed`, `ignored` (unknown type / nothing to do) or `unmatched`; null until processed. */
  outcome: string | null;
  results: JSONColumnType<InboundResult[]> | null;
  received_at: Generated<Date>;
  processed_at: Date | null;
  /** Failed processing runs (outages excluded); at MAX_ATTEMPTS the row is dead-lettered (`failed_at`). */
  attempts: Generated<number>;
  last_error: string | null;
  failed_at: Date | null;
}
