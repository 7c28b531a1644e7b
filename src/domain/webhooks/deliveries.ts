import { sql } from "kysely";
import type { Db } from "../../db/database.js";
import type { WebhookAttemptError, WebhookDeliveryStatus } from "../../db/tables/webhook-delivery.table.js";
import { newId } from "../../ids.js";
import { decryptSecret } from "./secret-box.js";

/** A job that wakes a little early (timer granularity) still sends; earlier than this it waits. */
export const EARLY_TOLERANCE_MS = 50;
/** A receiver's Retry-After is honoured up to this; beyond it we come back after this long anyway. */
export const RETRY_AFTER_MAX_MS = 3_600_000;

export interface ClaimedDelivery {
  id: string;
  attempts: number;
  eventId: string;
  endpointId: string;
  url: string;
  payload: string;
  secrets: string[];
}

/**
 * Takes the lease on up to `limit` due deliveries of one enabled endpoint, oldest due first, reading
 * all their sends need (URL, payload, live secrets) in one statement. SKIP LOCKED and the lease let
 * several jobs drain one endpoint side by side without ever claiming a delivery twice; a duplicate or
 * late job finds the rows held or finished and claims nothing. A disabled or deleted endpoint yields
 * nothing here: `settleEndpoint` cancels its due deliveries.
 */
export async function claimDueDeliveries(
  db: Db,
  endpointId: string,
  options: { limit: number; now: Date; leaseMs: number; secretKey: Buffer },
): Promise<ClaimedDelivery[]> {
  const { now } = options;
  const { rows } = await sql<{ id: string; attempts: number; event_id: string; url: string; payload: string; ciphertexts: string[] | null }>`
    WITH endpoint AS (
      SELECT w.id, w.url,
        (SELECT array_agg(s.ciphertext ORDER BY s.id DESC) FROM webhook_endpoint_secrets s
          WHERE s.endpoint_id = w.id AND (s.expires_at IS NULL OR s.expires_at > ${now})) AS ciphertexts
      FROM webhook_endpoints w
      WHERE w.id = ${endpointId} AND w.status = 'enabled' AND w.deleted_at IS NULL
    ), due AS (
      SELECT d.id FROM webhook_deliveries d
      WHERE d.endpoint_id = ${endpointId} AND d.status = 'pending'
        AND d.next_attempt_at <= ${new Date(now.getTime() + EARLY_TOLERANCE_MS)}
        AND (d.locked_until IS NULL OR d.locked_until <= ${now})
        AND EXISTS (SELECT 1 FROM endpoint)
      ORDER BY d.next_attempt_at
      LIMIT ${options.limit}
      FOR UPDATE OF d SKIP LOCKED
    )
    UPDATE webhook_deliveries d SET locked_until = ${new Date(now.getTime() + options.leaseMs)}
    FROM endpoint, events e
    -- An array, not a join: the rows are fetched by primary key whatever the planner thinks of the CTE.
    WHERE d.id = ANY (ARRAY(SELECT id FROM due)) AND e.id = d.event_id
    RETURNING d.id, d.attempts, d.event_id, endpoint.url, e.payload, endpoint.ciphertexts`.execute(db);
  return rows.map((row) => ({
    id: row.id,
    attempts: row.attempts,
    eventId: row.event_id,
    endpointId,
    url: row.url,
    payload: row.payload,
    secrets: (row.ciphertexts ?? []).map((ciphertext) => decryptCached(options.secretKey, endpointId, ciphertext)),
  }));
}

/** Gives back the leases of claimed deliveries that were not sent (the job ran out of budget): due again at once. */
export async function releaseDeliveries(db: Db, deliveries: ClaimedDelivery[]): Promise<void> {
  if (deliveries.length === 0) return;
  await sql`
    UPDATE webhook_deliveries d SET locked_until = NULL
    FROM unnest(${deliveries.map((delivery) => delivery.id)}::text[], ${deliveries.map((delivery) => delivery.attempts)}::int[]) AS r(id, attempts)
    WHERE d.id = r.id AND d.status = 'pending' AND d.attempts = r.attempts`.execute(db);
}

/** The earliest pending delivery of an endpoint that no job holds: when the endpoint next needs a job. */
export interface NextDue {
  id: string;
  attempts: number;
  at: Date;
}

/**
 * What a job does once it has claimed all it could: cancels the due deliveries of an endpoint that was
 * disabled or deleted meanwhile (they are not sent), and answers the earliest pending delivery no job
 * holds, so the caller can schedule the endpoint's next wake-up. One statement.
 */
export async function settleEndpoint(db: Db, endpointId: string, now: Date): Promise<{ canceled: number; next: NextDue | null }> {
  const { rows } = await sql<{ canceled: number; id: string | null; attempts: number | null; next_attempt_at: Date | null }>`
    WITH gone AS (
      SELECT 1 FROM webhook_endpoints WHERE id = ${endpointId} AND (status <> 'enabled' OR deleted_at IS NOT NULL)
    ), canceled AS (
      UPDATE webhook_deliveries SET status = 'canceled', next_attempt_at = NULL, locked_until = NULL, completed_at = ${now}
      WHERE endpoint_id = ${endpointId} AND status = 'pending'
        AND next_attempt_at <= ${new Date(now.getTime() + EARLY_TOLERANCE_MS)}
        AND (locked_until IS NULL OR locked_until <= ${now})
        AND EXISTS (SELECT 1 FROM gone)
      RETURNING id
    )
    SELECT (SELECT count(*)::int FROM canceled) AS canceled, n.id, n.attempts, n.next_attempt_at
    FROM (SELECT 1) AS one LEFT JOIN LATERAL (
      SELECT d.id, d.attempts, d.next_attempt_at FROM webhook_deliveries d
      WHERE d.endpoint_id = ${endpointId} AND d.status = 'pending'
        AND (d.locked_until IS NULL OR d.locked_until <= ${now})
        AND d.id NOT IN (SELECT id FROM canceled)
      ORDER BY d.next_attempt_at LIMIT 1
    ) AS n ON true`.execute(db);
  const row = rows[0]!;
  return { canceled: row.canceled, next: row.id ? { id: row.id, attempts: row.attempts!, at: row.next_attempt_at! } : null };
}

/** The endpoint of a delivery, for a job queued before jobs named their endpoint; null once it is gone. */
export async function endpointOfDelivery(db: Db, deliveryId: string): Promise<string | null> {
  const row = await db.selectFrom("webhook_deliveries").select("endpoint_id").where("id", "=", deliveryId).executeTakeFirst();
  return row?.endpoint_id ?? null;
}

/** Decrypting costs more than the lookup: remember plaintexts by ciphertext (bounded; rotation adds new ones). */
const decrypted = new Map<string, string>();
function decryptCached(key: Buffer, endpointId: string, ciphertext: string): string {
  const cacheKey = `${endpointId}:${ciphertext}`;
  let secret = decrypted.get(cacheKey);
  if (secret === undefined) {
    secret = decryptSecret(key, endpointId, ciphertext);
    if (decrypted.size >= 10_000) decrypted.delete(decrypted.keys().next().value!);
    decrypted.set(cacheKey, secret);
  }
  return secret;
}

export interface AttemptOutcome {
  ok: boolean;
  statusCode: number | null;
  durationMs: number;
  error: WebhookAttemptError | null;
  retryAfterMs: number | null;
}

/** Delay before the attempt after `attemptsMade` attempts, or null when the schedule is exhausted. */
export function retryDelayMs(schedule: readonly number[], attemptsMade: number, retryAfterMs: number | null, random = Math.random()): number | null {
  const base = schedule[attemptsMade - 1];
  if (base === undefined) return null;
  // ±10 % jitter, so endpoints that failed together (an outage) are not retried in lockstep.
  const jittered = Math.round(base * (0.9 + 0.2 * random));
  // Retry-After asks for "not before": honoured, but never earlier than the schedule and never beyond the cap.
  return retryAfterMs === null ? jittered : Math.max(jittered, Math.min(retryAfterMs, RETRY_AFTER_MAX_MS));
}

export interface RecordedAttempt {
  status: WebhookDeliveryStatus;
  nextAttemptAt: Date | null;
  attempts: number;
  /** False when the compare-and-set found the delivery already moved on (nothing was logged). */
  recorded: boolean;
}

/**
 * Logs many attempts and moves their deliveries on, in one statement (atomic like a transaction): each
 * delivery succeeded, scheduled again (`next_attempt_at`, where the sweeper finds it), or failed for
 * good, with one attempts row for each delivery that moved. A 410 disables its endpoint at once. The
 * compare-and-set on (status, attempts) means a rerun can never record an attempt twice. Arrays in,
 * so the statement text (and its prepared plan) is the same whatever the batch size.
 */
export async function recordAttempts(
  db: Db,
  attempts: { delivery: ClaimedDelivery; result: AttemptOutcome }[],
  options: { now: Date; schedule: readonly number[] },
): Promise<RecordedAttempt[]> {
  if (attempts.length === 0) return [];
  const planned = attempts.map(({ delivery, result }) => {
    const attempt = delivery.attempts + 1;
    const gone = result.statusCode === 410;
    const delay = result.ok || gone ? null : retryDelayMs(options.schedule, attempt, result.retryAfterMs);
    const status: WebhookDeliveryStatus = result.ok ? "succeeded" : delay === null ? "failed" : "pending";
    const nextAttemptAt = delay === null ? null : new Date(options.now.getTime() + delay);
    return { delivery, result, status, nextAttemptAt, attempt };
  });
  const column = <T>(pick: (entry: (typeof planned)[number]) => T) => planned.map(pick);
  const { rows } = await sql<{ id: string }>`
    WITH input AS (
      SELECT * FROM unnest(
        ${column((p) => p.delivery.id)}::text[], ${column((p) => p.delivery.attempts)}::int[], ${column((p) => p.status)}::text[],
        ${column((p) => p.result.statusCode)}::int[], ${column((p) => p.result.durationMs)}::int[], ${column((p) => p.result.error)}::text[],
        ${column((p) => p.nextAttemptAt?.toISOString() ?? null)}::timestamptz[], ${column(() => newId("deliveryAttempt"))}::text[]
      ) AS i(id, attempts, status, status_code, duration_ms, error, next_attempt_at, attempt_id)
    ), moved AS (
      UPDATE webhook_deliveries d
      SET status = i.status, attempts = i.attempts + 1, next_attempt_at = i.next_attempt_at, locked_until = NULL,
          completed_at = CASE WHEN i.status = 'pending' THEN NULL ELSE ${options.now}::timestamptz END
      FROM input i
      WHERE d.id = i.id AND d.status = 'pending' AND d.attempts = i.attempts
      RETURNING d.id, d.event_id, d.endpoint_id, i.attempts + 1 AS attempt, i.status_code, i.duration_ms, i.error, i.next_attempt_at, i.attempt_id
    ), logged AS (
      INSERT INTO webhook_attempts (id, delivery_id, event_id, endpoint_id, attempt, status_code, duration_ms, error, created_at, next_attempt_at)
      SELECT attempt_id, id, event_id, endpoint_id, attempt, status_code, duration_ms, error, ${options.now}::timestamptz, next_attempt_at FROM moved
    ), disabled AS (
      UPDATE webhook_endpoints SET status = 'disabled', updated_at = ${options.now}
      WHERE id IN (SELECT endpoint_id FROM moved WHERE status_code = 410)
    )
    SELECT id FROM moved`.execute(db);
  const moved = new Set(rows.map((row) => row.id));
  return planned.map((p) => ({ status: p.status, nextAttemptAt: p.nextAttemptAt, attempts: p.attempt, recorded: moved.has(p.delivery.id) }));
}
