import { sql } from "kysely";
import type { Db } from "../../db/database.js";
import { readEnvelope } from "./process-inbound-webhook.js";
import { paymentEventWithoutEffect, type RuleOutcome } from "./payment-rules.js";
import { warehouseEventWithoutEffect } from "./warehouse-rules.js";

/**
 * The rows of one job that cannot touch a redemption — an ignored type, an unreadable object, a
 * payment without loyalty discounts (most of a provider's traffic) — are recorded processed with one
 * SELECT and one UPDATE for all of them, instead of a transaction each: there is no effect to commit
 * with `processed_at`, so the row's own UPDATE is the whole of it. The UPDATE only takes rows still
 * unprocessed and not dead-lettered, so it races safely with a concurrent run (which holds the row
 * lock; the UPDATE waits, then finds the row processed and skips it). The outcome and results are
 * exactly those the rules give inside a transaction (payment-rules.ts, warehouse-rules.ts).
 *
 * Returns the ids there is nothing more to do for (settled here, or processed or dead-lettered
 * before); every other row goes through `processInboundWebhook`, in order, under its lock.
 */
export async function settleRowsWithoutEffect(db: Db, ids: string[]): Promise<{ done: Set<string>; processed: number }> {
  const rows = await db
    .selectFrom("inbound_webhooks")
    .select(["id", "source", "event_type", "payload", "received_at", "processed_at", "failed_at"])
    .where("id", "=", sql<string>`any(${ids}::text[])`)
    .execute();
  const done = new Set<string>();
  const settle: { id: string; rule: RuleOutcome }[] = [];
  for (const row of rows) {
    if (row.processed_at !== null || row.failed_at !== null) {
      done.add(row.id);
      continue;
    }
    const rule = ruleWithoutEffect(row);
    if (rule) settle.push({ id: row.id, rule });
  }
  if (settle.length === 0) return { done, processed: 0 };
  // One array per column: the same statement text for any number of rows (prepared once per connection).
  const { rows: marked } = await sql<{ id: string }>`
    UPDATE inbound_webhooks AS w SET outcome = v.outcome, results = v.results::jsonb, processed_at = ${new Date()}
    FROM unnest(${settle.map((row) => row.id)}::text[], ${settle.map((row) => row.rule.outcome)}::text[], ${settle.map((row) => JSON.stringify(row.rule.results))}::text[])
      AS v(id, outcome, results)
    WHERE w.id = v.id AND w.processed_at IS NULL AND w.failed_at IS NULL
    RETURNING w.id`.execute(db);
  for (const { id } of marked) done.add(id);
  return { done, processed: marked.length };
}

/** The rules' outcome when it needs no transaction; null when it may, or when the row cannot be read (the full path counts that). */
function ruleWithoutEffect(row: { source: string; event_type: string; payload: string; received_at: Date }): RuleOutcome | null {
  let object: unknown;
  try {
    object = readEnvelope(row).object;
  } catch {
    return null;
  }
  return row.source === "payments" ? paymentEventWithoutEffect(row.event_type, object) : warehouseEventWithoutEffect(row.event_type, object);
}
