import { sql } from "kysely";
import type { Db } from "../../db/database.js";
import type { WebhookAttemptError, WebhookDeliveryStatus } from "../../db/tables/webhook-delivery.table.js";
import { inTransaction } from "../../db/transaction.js";
import { newId } from "../../ids.js";
import { liveSecrets } from "./endpoints.js";

/** A job that wakes a little early (timer granularity) still sends; earlier than this it waits. */
const EARLY_TOLERANCE_MS = 50;
/** A receiver's Retry-After is honoured up to this; beyond it we come back after this long anyway. */
export const RETRY_AFTER_MAX_MS = 3_600_000;
/** Lock key space (two-int form) for the per-endpoint claim; distinct from the sweeper's lock. */
const ENDPOINT_LOCK_CLASS = 0x7768;

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
  /** The endpoint already has its maximum of sends in flight. */
  | { outcome: "endpoint_busy" }
  /** The endpoint was disabled or deleted since: the delivery is canceled, nothing is sent. */
  | { outcome: "canceled" }
  | { outcome: "claimed"; delivery: ClaimedDelivery };

/**
 * Takes the lease on a due delivery, unless its endpoint is at its in-flight cap. The cap is counted
 * from the leases themselves under a per-endpoint advisory lock, so it holds across every worker
 * process, and a crashed worker's lease simply runs out.
 */
export async function claimDelivery(
  db: Db,
  deliveryId: string,
  options: { now: Date; leaseMs: number; maxInFlight: number; secretKey: Buffer },
): Promise<ClaimOutcome> {
  const { now } = options;
  return inTransaction(db, async (trx) => {
    const row = await trx
      .selectFrom("webhook_deliveries as d")
      .innerJoin("webhook_endpoints as w", "w.id", "d.endpoint_id")
      .select(["d.id", "d.status", "d.attempts", "d.next_attempt_at", "d.locked_until", "d.event_id", "d.endpoint_id", "w.url", "w.status as endpoint_status", "w.deleted_at"])
      .where("d.id", "=", deliveryId)
      .executeTakeFirst();
    if (!row || row.status !== "pending" || !row.next_attempt_at) return { outcome: "finished" };
    if (row.next_attempt_at.getTime() > now.getTime() + EARLY_TOLERANCE_MS) return { outcome: "not_due", at: row.next_attempt_at };
    if (row.endpoint_status !== "enabled" || row.deleted_at) {
      await finish(trx, row.id, row.attempts, "canceled", now);
      return { outcome: "canceled" };
    }
    await sql`SELECT pg_advisory_xact_lock(${ENDPOINT_LOCK_CLASS}, hashtext(${row.endpoint_id}))`.execute(trx);
    const inFlight = await trx
      .selectFrom("webhook_deliveries")
      .select((eb) => eb.fn.countAll<number>().as("count"))
      .where("endpoint_id", "=", row.endpoint_id)
      .where("status", "=", "pending")
      .where("locked_until", ">", now)
      .where("id", "<>", row.id)
      .executeTakeFirstOrThrow();
    if (Number(inFlight.count) >= options.maxInFlight) return { outcome: "endpoint_busy" };
    const leased = await trx
      .updateTable("webhook_deliveries")
      .set({ locked_until: new Date(now.getTime() + options.leaseMs) })
      .where("id", "=", row.id)
      .where("status", "=", "pending")
      .where("attempts", "=", row.attempts)
      .where((eb) => eb.or([eb("locked_until", "is", null), eb("locked_until", "<=", now)]))
      .returning("id")
      .executeTakeFirst();
    if (!leased) return { outcome: "held" };
    const event = await trx.selectFrom("events").select("payload").where("id", "=", row.event_id).executeTakeFirstOrThrow();
    const secrets = await liveSecrets(trx, row.endpoint_id, options.secretKey, now);
    return {
      outcome: "claimed",
      delivery: { id: row.id, attempts: row.attempts, eventId: row.event_id, endpointId: row.endpoint_id, url: row.url, payload: event.payload, secrets },
    };
  });
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
  return inTransaction(db, async (trx) => {
    const updated = await trx
      .updateTable("webhook_deliveries")
      .set({ status, attempts: attempt, next_attempt_at: nextAttemptAt, locked_until: null, completed_at: status === "pending" ? null : options.now })
      .where("id", "=", delivery.id)
      .where("status", "=", "pending")
      .where("attempts", "=", delivery.attempts)
      .returning("id")
      .executeTakeFirst();
    if (!updated) return { status, nextAttemptAt, attempts: attempt, recorded: false };
    await trx
      .insertInto("webhook_attempts")
      .values({
        id: newId("deliveryAttempt"),
        delivery_id: delivery.id,
        event_id: delivery.eventId,
        endpoint_id: delivery.endpointId,
        attempt,
        status_code: result.statusCode,
        duration_ms: result.durationMs,
        error: result.error,
        created_at: options.now,
        next_attempt_at: nextAttemptAt,
      })
      .execute();
    if (gone) {
      await trx.updateTable("webhook_endpoints").set({ status: "disabled", updated_at: options.now }).where("id", "=", delivery.endpointId).execute();
    }
    return { status, nextAttemptAt, attempts: attempt, recorded: true };
  });
}
