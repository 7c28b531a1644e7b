import type { Db } from "../../db/database.js";
import { inTransaction } from "../../db/transaction.js";
import { readEnvelope } from "./envelope.js";
import { lockInboundWebhook, markProcessed } from "./inbox.js";
import { applyPaymentEvent, type RuleOutcome } from "./payment-rules.js";
import { applyWarehouseEvent } from "./warehouse-rules.js";

export type ProcessOutcome = { outcome: "nothing_to_do" } | { outcome: "processed"; result: string };

/**
 * Processes one stored webhook exactly once by effect: the effects and `processed_at` commit together
 * under the row lock, so a crash before the commit leaves the row for a rerun (job retry or sweeper)
 * and any later run finds it processed.
 */
export async function processInboundWebhook(db: Db, inboxId: string): Promise<ProcessOutcome> {
  return inTransaction(db, async (trx) => {
    const row = await lockInboundWebhook(trx, inboxId);
    // Processed already, or dead-lettered: nothing more is done with it.
    if (!row || row.processed_at !== null || row.failed_at !== null) return { outcome: "nothing_to_do" };
    const scope = { merchantId: row.merchant_id, livemode: row.livemode };
    const { object, sentAt } = readEnvelope(row);

    let rule: RuleOutcome;
    if (row.source === "payments") rule = await applyPaymentEvent(trx, scope, row.event_type, object);
    else rule = await applyWarehouseEvent(trx, scope, row.event_type, object, sentAt);
    await markProcessed(trx, row.id, rule.outcome, rule.results);
    return { outcome: "processed", result: rule.outcome };
  });
}
