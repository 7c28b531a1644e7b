import { sql } from "kysely";
import type { Db, Executor, Trx } from "../../db/database.js";
import type { InboundResult, InboundSource } from "../../db/tables/inbound-webhook.table.js";
import { newId } from "../../ids.js";
import { ruleWithoutEffect } from "./settle-without-effect.js";

/** Secrets valid now for this merchant and source (several during a rotation; none for an unknown merchant). */
export async function findInboundSecrets(db: Executor, merchantId: string, source: InboundSource): Promise<string[]> {
  const rows = await db
    .selectFrom("inbound_secrets")
    .select("secret")
    .where("merchant_id", "=", merchantId)
    .where("source", "=", source)
    .where((eb) => eb.or([eb("expires_at", "is", null), eb("expires_at", ">", sql<Date>`now()`)]))
    .orderBy("id", "desc")
    .execute();
  return rows.map((row) => row.secret);
}

export interface ReceivedWebhook {
  merchantId: string;
  source: InboundSource;
  webhookId: string;
  eventType: string;
  livemode: boolean;
  payload: string;
}

export interface StoredWebhook {
  id: string;
  /** The webhook-id was stored before (or earlier in the same batch): `id` is that row's. */
  duplicate: boolean;
  /**
   * The row needs no job: stored already processed (a webhook without effect, settle-without-effect.ts),
   * or, for a duplicate, found processed or dead-lettered.
   */
  finished: boolean;
}

/**
 * Stores a verified webhook. A redelivery (same merchant, source and webhook-id) inserts nothing and
 * returns the row already stored: concurrent duplicates race on the unique key, and exactly one wins.
 */
export async function storeInboundWebhook(db: Executor, webhook: ReceivedWebhook): Promise<StoredWebhook> {
  const [stored] = await storeInboundWebhooks(db, [webhook]);
  return stored!;
}

const keyOf = (webhook: ReceivedWebhook) => `${webhook.merchantId}\u0000${webhook.source}\u0000${webhook.webhookId}`;

/**
 * Stores many verified webhooks with one INSERT; one result per webhook, in order. A webhook that
 * cannot touch a redemption is stored processed, its outcome recorded in the same row
 * (settle-without-effect.ts): it needs no job. A repeat within the batch is answered as a duplicate
 * of its first occurrence (one statement cannot insert a key twice);
 * a webhook-id stored before is looked up in one more statement, which runs only when a batch holds
 * such a redelivery. On the pool each statement commits on its own, so the lookup sees a concurrent
 * duplicate's row once the INSERT has waited for it.
 *
 * The rows travel as one array per column (`unnest`): the statement's text is the same for 1 or 100
 * rows, with 9 parameters, so a connection prepares it once (prepared-statements.ts; with transaction
 * pooling it is parsed each time, but as 9 parameters), where a VALUES list would be a new statement
 * of up to 900 parameters, parsed and planned again, for every batch size.
 */
export async function storeInboundWebhooks(db: Executor, webhooks: ReceivedWebhook[]): Promise<StoredWebhook[]> {
  const firstOf = new Map<string, number>();
  const rows = webhooks.flatMap((webhook, index) => {
    const key = keyOf(webhook);
    if (firstOf.has(key)) return [];
    firstOf.set(key, index);
    return [{ index, id: newId("inbox"), webhook, settled: ruleWithoutEffect(webhook) }];
  });
  const column = <T>(value: (webhook: ReceivedWebhook) => T) => rows.map((row) => value(row.webhook));
  const result = await sql<{ id: string }>`
    INSERT INTO inbound_webhooks (id, merchant_id, source, webhook_id, event_type, livemode, payload, outcome, results, processed_at)
    SELECT v.id, v.merchant_id, v.source, v.webhook_id, v.event_type, v.livemode, v.payload, v.outcome, v.results::jsonb,
      CASE WHEN v.outcome IS NOT NULL THEN now() END
    FROM unnest(
      ${rows.map((row) => row.id)}::text[], ${column((w) => w.merchantId)}::text[], ${column((w) => w.source)}::text[],
      ${column((w) => w.webhookId)}::text[], ${column((w) => w.eventType)}::text[], ${column((w) => w.livemode)}::boolean[],
      ${column((w) => w.payload)}::text[], ${rows.map((row) => row.settled?.outcome ?? null)}::text[],
      ${rows.map((row) => (row.settled ? JSON.stringify(row.settled.results) : null))}::text[])
      AS v(id, merchant_id, source, webhook_id, event_type, livemode, payload, outcome, results)
    ON CONFLICT (merchant_id, source, webhook_id) DO NOTHING
    RETURNING id`.execute(db);
  const inserted = new Set(result.rows.map((row) => row.id));
  const storedBefore = rows.filter((row) => !inserted.has(row.id)).map((row) => row.webhook);
  const existing = await findStoredIds(db, storedBefore);
  const storedOfKey = new Map(rows.map((row) => [keyOf(row.webhook), inserted.has(row.id) ? { id: row.id, finished: row.settled !== null } : existing.get(keyOf(row.webhook))]));
  return webhooks.map((webhook, index) => {
    const key = keyOf(webhook);
    const stored = storedOfKey.get(key);
    if (!stored) throw new Error(`inbound webhook ${webhook.webhookId} was neither inserted nor found`);
    const firstInserted = firstOf.get(key) === index && inserted.has(stored.id);
    return { id: stored.id, duplicate: !firstInserted, finished: stored.finished };
  });
}

/** The rows of webhooks already stored, by their (merchant, source, webhook-id) key. */
async function findStoredIds(db: Executor, webhooks: ReceivedWebhook[]): Promise<Map<string, { id: string; finished: boolean }>> {
  if (webhooks.length === 0) return new Map();
  const { rows } = await sql<{ id: string; merchant_id: string; source: InboundSource; webhook_id: string; finished: boolean }>`
    SELECT w.id, w.merchant_id, w.source, w.webhook_id, (w.processed_at IS NOT NULL OR w.failed_at IS NOT NULL) AS finished
    FROM unnest(${webhooks.map((w) => w.merchantId)}::text[], ${webhooks.map((w) => w.source)}::text[], ${webhooks.map((w) => w.webhookId)}::text[])
      AS k(merchant_id, source, webhook_id)
    JOIN inbound_webhooks w ON w.merchant_id = k.merchant_id AND w.source = k.source AND w.webhook_id = k.webhook_id`.execute(db);
  return new Map(rows.map((row) => [keyOf({ merchantId: row.merchant_id, source: row.source, webhookId: row.webhook_id } as ReceivedWebhook), { id: row.id, finished: row.finished }]));
}

/** Locks the row for processing; concurrent runs of its job serialise here and the later one sees it processed. */
export async function lockInboundWebhook(trx: Trx, id: string) {
  return trx.selectFrom("inbound_webhooks").selectAll().where("id", "=", id).forUpdate().executeTakeFirst();
}

export async function markProcessed(trx: Trx, id: string, outcome: string, results: InboundResult[]): Promise<void> {
  await trx
    .updateTable("inbound_webhooks")
    .set({ outcome, results: JSON.stringify(results), processed_at: new Date() })
    .where("id", "=", id)
    .execute();
}

/**
 * Rows stored but not processed after `olderThanMs` (their job was lost or is failing), least-tried
 * first: rows that keep failing sort behind newly lost ones, and dead-lettered rows are left out, so
 * poison can never fill the batch and hide lost work.
 */
export async function findUnprocessedInbound(db: Db, olderThanMs: number, limit: number): Promise<{ id: string; merchant_id: string }[]> {
  return db
    .selectFrom("inbound_webhooks")
    .select(["id", "merchant_id"])
    .where("processed_at", "is", null)
    .where("failed_at", "is", null)
    .where("received_at", "<", new Date(Date.now() - olderThanMs))
    .orderBy("attempts")
    .orderBy("received_at")
    .limit(limit)
    .execute();
}

/** Counts a failed processing run; at `maxAttempts` the row is dead-lettered (`failed_at`). */
export async function recordFailedProcessing(db: Db, id: string, error: string, maxAttempts: number): Promise<"pending" | "failed" | null> {
  const row = await db
    .updateTable("inbound_webhooks")
    .set((eb) => ({
      attempts: eb("attempts", "+", 1),
      last_error: error.slice(0, 1000),
      failed_at: sql<Date | null>`CASE WHEN attempts + 1 >= ${maxAttempts} THEN now() END`,
    }))
    .where("id", "=", id)
    .where("processed_at", "is", null)
    .where("failed_at", "is", null)
    .returning("failed_at")
    .executeTakeFirst();
  if (!row) return null;
  return row.failed_at ? "failed" : "pending";
}
