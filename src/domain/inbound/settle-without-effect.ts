import type { InboundSource } from "../../db/tables/inbound-webhook.table.js";
import { readEnvelope } from "./envelope.js";
import { paymentEventWithoutEffect, type RuleOutcome } from "./payment-rules.js";
import { warehouseEventWithoutEffect } from "./warehouse-rules.js";

/**
 * What a webhook that cannot touch a redemption records — an ignored type, an unusable object, a
 * payment without loyalty discounts (most of a provider's traffic) — or null when it may touch one
 * (or cannot be read: the worker's full path counts and dead-letters that).
 *
 * The answer depends on the webhook's bytes alone, never on the database, so the inbox stores such a
 * webhook already processed, in the INSERT that accepts it (inbox.ts): there is no effect to commit
 * with `processed_at`, so that INSERT is the whole of its processing, and it needs no job, no lock and
 * no second write. The outcome and results are exactly those the rules give inside a transaction
 * (payment-rules.ts, warehouse-rules.ts); ordering cannot matter for an event that changes nothing.
 */
export function ruleWithoutEffect(webhook: { source: InboundSource; eventType: string; payload: string }): RuleOutcome | null {
  let object: unknown;
  try {
    object = readEnvelope({ payload: webhook.payload, received_at: new Date() }).object;
  } catch {
    return null;
  }
  return webhook.source === "payments" ? paymentEventWithoutEffect(webhook.eventType, object) : warehouseEventWithoutEffect(webhook.eventType, object);
}
