import { sql } from "kysely";
import type { Db } from "../../db/database.js";
import type { WebhookAttemptError, WebhookDeliveryStatus } from "../../db/tables/webhook-delivery.table.js";
import { newId } from "../../ids.js";
import { decryptSecret } from "./secret-box.js";

/** A job that wakes a little early (timer granularity) still sends; earlier than this it waits. */
const EARLY_TOLERANCE_MS = 50;
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

export type ClaimOutcome =
  /** Succeeded, failed, canceled or gone: a rerun of a finished delivery sends nothing. */
  | { outcome: "finished" }
  | { outcome: "not_due"; at: Date }
  /** Another worker holds this delivery right now. */
  | { outcome: "held" }
  /** The endpoint was disabled or deleted since: the delivery is canceled, nothing is sent. */
  | { outcome: "canceled" }
  | { outcome: "claimed"; delivery: ClaimedDelivery };

/**
 * Takes the lease on a due delivery of an enabled endpoint, reading all a send needs, in one statement.
 * Only when that finds nothing does a second read say why (finished, not due, held, endpoint gone).
 * The lease makes a duplicate or late job a no-op while a send is in flight; the in-flight cap per
 * endpoint is the caller's (see src/queue/endpoint-slots.ts).
 */
export async function claimDelivery(
  db: Db,
  deliveryId: string,
  options: { now: Date; leaseMs: number; secretKey: Buffer },
): Promise<ClaimOutcome> {
  const { now } = options;
  const { rows } = await sql<{ id: string; attempts: number; event_id: string; endpoint_id: string; url: string; payload: string; ciphertexts: string[] | null }>`
    UPDATE webhook_deliveries d SET locked_until = ${new Date(now.getTime() + options.leaseMs)}
    FROM webhook_endpoints w, events e
    WHERE d.id = ${deliveryId} AND d.status = 'pending'
      AND d.next_attempt_at <= ${new Date(now.getTime() + EARLY_TOLERANCE_MS)}
      AND (d.locked_until IS NULL OR d.locked_until <= ${now})
      AND w.id = d.endpoint_id AND w.status = 'enabled' AND w.deleted_at IS NULL
      AND e.id = d.event_id
    RETURNING d.id, d.attempts, d.event_id, d.endpoint_id, w.url, e.payload,
      (SELECT array_agg(s.ciphertext ORDER BY s.id DESC) FROM webhook_endpoint_secrets s
        WHERE s.endpoint_id = d.endpoint_id AND (s.expires_at IS NULL OR s.expires_at > ${now})) AS ciphertexts`.execute(db);
  const claimed = rows[0];
  if (claimed) {
    const secrets = (claimed.ciphertexts ?? []).map((ciphertext) => decryptCached(options.secretKey, claimed.endpoint_id, ciphertext));
    return {
      outcome: "claimed",
      delivery: { id: claimed.id, attempts: claimed.attempts, eventId: claimed.event_id, endpointId: claimed.endpoint_id, url: claimed.url, payload: claimed.payload, secrets },
    };
  }
  return explainUnclaimed(db, deliveryId, now);
}

async function explainUnclaimed(db: Db, deliveryId: string, now: Date): Promise<ClaimOutcome> {
  const row = await db
    .selectFrom("webhook_deliveries as d")
    .innerJoin("webhook_endpoints as w", "w.id", "d.endpoint_id")
    .select(["d.id", "d.status", "d.attempts", "d.next_attempt_at", "d.locked_until", "w.status as endpoint_status", "w.deleted_at"])
    .where("d.id", "=", deliveryId)
    .executeTakeFirst();
  if (!row || row.status !== "pending" || !row.next_attempt_at) return { outcome: "finished" };
  if (row.next_attempt_at.getTime() > now.getTime() + EARLY_TOLERANCE_MS) return { outcome: "not_due", at: row.next_attempt_at };
  if (row.endpoint_status !== "enabled" || row.deleted_at) {
    await finish(db, row.id, row.attempts, "canceled", now);
    return { outcome: "canceled" };
  }
  return { outcome: "held" };
}

/** Gives the lease back untouched (the endpoint had no free slot): the delivery stays due. */
export async function releaseLease(db: Db, deliveryId: string, attempts: number): Promise<void> {
  await db.updateTable("webhook_deliveries").set({ locked_until: null }).where("id", "=", deliveryId).where("status", "=", "pending").where("attempts", "=", attempts).execute();
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

async function finish(trx: Db, id: string, attempts: number, status: WebhookDeliveryStatus, now: Date) {
  await trx
    .updateTable("webhook_deliveries")
    .set({ status, next_attempt_at: null, locked_until: null, completed_at: now })
    .where("id", "=", id)
    .where("status", "=", "pending")
    .where("attempts", "=", attempts)
    .execute();
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

/**
 * Logs the attempt and moves the delivery on, in one transaction: succeeded, scheduled again (with
 * `next_attempt_at` in Postgres, where the sweeper finds it), or failed for good. A 410 disables the
 * endpoint at once. Compare-and-set on (status, attempts): a rerun can never record an attempt twice.
 */
export async function recordAttempt(
  db: Db,
  delivery: ClaimedDelivery,
  result: AttemptOutcome,
  options: { now: Date; schedule: readonly number[] },
): Promise<{ status: WebhookDeliveryStatus; nextAttemptAt: Date | null; attempts: number; recorded: boolean }> {
  const attempt = delivery.attempts + 1;
  const gone = result.statusCode === 410;
  const delay = result.ok || gone ? null : retryDelayMs(options.schedule, attempt, result.retryAfterMs);
  const status: WebhookDeliveryStatus = result.ok ? "succeeded" : delay === null ? "failed" : "pending";
  const nextAttemptAt = delay === null ? null : new Date(options.now.getTime() + delay);
  // One statement: move the delivery on (compare-and-set), log the attempt only if it moved, and on a
  // 410 disable the endpoint. Atomic like a transaction, in one round trip.
  const { rows } = await sql<{ moved: number }>`
    WITH moved AS (
      UPDATE webhook_deliveries
      SET status = ${status}, attempts = ${attempt}, next_attempt_at = ${nextAttemptAt}, locked_until = NULL,
          completed_at = ${status === "pending" ? null : options.now}
      WHERE id = ${delivery.id} AND status = 'pending' AND attempts = ${delivery.attempts}
      RETURNING id
    ), logged AS (
      INSERT INTO webhook_attempts (id, delivery_id, event_id, endpoint_id, attempt, status_code, duration_ms, error, created_at, next_attempt_at)
      SELECT ${newId("deliveryAttempt")}::text, moved.id, ${delivery.eventId}::text, ${delivery.endpointId}::text, ${attempt}::int,
             ${result.statusCode}::int, ${result.durationMs}::int, ${result.error}::text, ${options.now}::timestamptz, ${nextAttemptAt}::timestamptz
      FROM moved
    ), disabled AS (
      UPDATE webhook_endpoints SET status = 'disabled', updated_at = ${options.now}
      WHERE id = ${delivery.endpointId} AND ${gone}::boolean AND EXISTS (SELECT 1 FROM moved)
    )
    SELECT count(*)::int AS moved FROM moved`.execute(db);
  return { status, nextAttemptAt, attempts: attempt, recorded: (rows[0]?.moved ?? 0) > 0 };
}
