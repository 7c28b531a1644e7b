import { sql } from "kysely";
import type { Db } from "../../../src/db/database.js";
import { checkInvariants, type InvariantResult } from "../../../src/domain/invariants/checks.js";
import type { LoadRecord } from "./load.js";

/** What is still in flight: the run has drained when all of it is zero. */
export async function backlog(db: Db) {
  const { rows } = await sql<{ requests: number; inbox: number; unpublished: number; deliveries: number }>`
    SELECT (SELECT COUNT(*) FROM idempotency_keys WHERE status = 'pending')::int AS requests,
           (SELECT COUNT(*) FROM inbound_webhooks WHERE processed_at IS NULL)::int AS inbox,
           (SELECT COUNT(*) FROM events WHERE published_at IS NULL)::int AS unpublished,
           (SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'pending')::int AS deliveries`.execute(db);
  return rows[0]!;
}

export async function waitDrained(db: Db, timeoutMs: number, log: (line: string) => void = () => {}): Promise<{ drained: boolean; ms: number; last: Awaited<ReturnType<typeof backlog>> | null }> {
  const started = Date.now();
  let last = null;
  let nextLog = started;
  while (Date.now() - started < timeoutMs) {
    last = await backlog(db).catch(() => null);
    if (last && Object.values(last).every((count) => count === 0)) return { drained: true, ms: Date.now() - started, last };
    if (Date.now() >= nextLog) {
      nextLog = Date.now() + 5_000;
      log(`chaos: backlog at +${((Date.now() - started) / 1000).toFixed(0)} s ${JSON.stringify(last)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return { drained: false, ms: Date.now() - started, last };
}

export interface Verdict {
  invariants: InvariantResult[];
  /** Each a broken promise to the outside world; empty = nothing lost, nothing doubled. */
  problems: string[];
  figures: Record<string, number | string>;
}

export async function verify(db: Db, merchant: string, record: LoadRecord, receiverOk: Set<string>): Promise<Verdict> {
  const problems: string[] = [];
  const invariants = await checkInvariants(db, { graceSeconds: 0 });
  for (const result of invariants) if (result.violations.length > 0) problems.push(`invariant ${result.id} (${result.name}): ${JSON.stringify(result.violations.slice(0, 3))}`);

  // Every create that got a 2xx is in the database, under the key it was sent with, and no key debited twice.
  const keys = [...record.created.keys()];
  const stored = new Map<string, { redemption: string | null; debits: number }>();
  for (let i = 0; i < keys.length; i += 500) {
    const { rows } = await sql<{ key: string; redemption: string | null; debits: number }>`
      SELECT k.key, r.id AS redemption,
             (SELECT COUNT(*) FROM points_transactions t WHERE t.redemption_id = r.id AND t.type = 'redemption')::int AS debits
      FROM idempotency_keys k LEFT JOIN redemptions r ON r.idempotency_id = k.id
      WHERE k.merchant_id = ${merchant} AND k.livemode = false AND k.key = ANY(${keys.slice(i, i + 500)})`.execute(db);
    for (const row of rows) stored.set(row.key, row);
  }
  for (const [key, created] of record.created) {
    const row = stored.get(key);
    if (!row || row.redemption !== created.id) problems.push(`2xx create lost: key ${key} → ${created.id}, database has ${row?.redemption ?? "nothing"}`);
    else if (row.debits !== 1) problems.push(`key ${key} debited ${row.debits} times`);
  }

  // Every create answered only 503 and then abandoned by its client changed nothing, and never will:
  // no redemption under its key, no request stored pending under it.
  const abandoned = [...record.abandoned503];
  for (let i = 0; i < abandoned.length; i += 500) {
    const { rows } = await sql<{ key: string; status: string; redemption: string | null }>`
      SELECT k.key, k.status, r.id AS redemption
      FROM idempotency_keys k LEFT JOIN redemptions r ON r.idempotency_id = k.id
      WHERE k.merchant_id = ${merchant} AND k.livemode = false AND k.key = ANY(${abandoned.slice(i, i + 500)})`.execute(db);
    for (const row of rows) {
      if (row.redemption) problems.push(`key ${row.key} was only ever answered 503, yet it took effect: ${row.redemption}`);
      else if (row.status === "pending") problems.push(`key ${row.key} was only ever answered 503 and is still stored pending after the drain`);
    }
  }

  // Every accepted inbound webhook is stored once and processed.
  const accepted = [...record.acceptedWebhooks];
  const { rows: inbox } = await sql<{ tag: string; processed: boolean }>`
    SELECT source || ':' || webhook_id AS tag, processed_at IS NOT NULL AS processed FROM inbound_webhooks WHERE merchant_id = ${merchant}`.execute(db);
  const inboxByTag = new Map(inbox.map((row) => [row.tag, row.processed]));
  for (const tag of accepted) {
    if (!inboxByTag.has(tag)) problems.push(`accepted webhook ${tag} not stored`);
    else if (!inboxByTag.get(tag)) problems.push(`accepted webhook ${tag} not processed`);
  }

  // Deliveries: nothing left pending after the drain, and every success the database records was
  // really acknowledged by the receiver (a 2xx it sent for that event id).
  const { rows: deliveries } = await sql<{ event_id: string; status: string }>`SELECT event_id, status FROM webhook_deliveries`.execute(db);
  const byStatus: Record<string, number> = {};
  for (const delivery of deliveries) {
    byStatus[delivery.status] = (byStatus[delivery.status] ?? 0) + 1;
    if (delivery.status === "pending") problems.push(`delivery of ${delivery.event_id} still pending after drain`);
    if (delivery.status === "succeeded" && !receiverOk.has(delivery.event_id)) problems.push(`delivery of ${delivery.event_id} recorded succeeded, receiver never acknowledged it`);
  }
  const counts = await sql<Record<string, number>>`
    SELECT (SELECT COUNT(*) FROM redemptions)::int AS redemptions, (SELECT COUNT(*) FROM events)::int AS events,
           (SELECT COUNT(*) FROM inbound_webhooks)::int AS inbox_rows, (SELECT COUNT(*) FROM webhook_attempts)::int AS attempts,
           (SELECT COUNT(*) FROM points_transactions)::int AS ledger_rows`.execute(db);
  for (const problem of record.stats.replayMismatches) problems.push(`replay mismatch: ${problem}`);
  if (record.stats.gaveUp > 0) problems.push(`${record.stats.gaveUp} client call(s) never got a final answer`);

  return {
    invariants,
    problems,
    figures: { ...counts.rows[0], deliveries_succeeded: byStatus.succeeded ?? 0, deliveries_failed: byStatus.failed ?? 0, deliveries_pending: byStatus.pending ?? 0, accepted_webhooks: accepted.length },
  };
}
