import { sql } from "kysely";
import type { Db } from "../../db/database.js";
import { inTransaction } from "../../db/transaction.js";
import { newId } from "../../ids.js";
import { subscribesTo } from "./endpoints.js";

export interface DueDelivery {
  id: string;
  endpoint_id: string;
  attempts: number;
  next_attempt_at: Date | null;
}

/**
 * The id of a job that delivers an endpoint's due deliveries, named after one of them and its attempt
 * number (the first delivery a relay round made for the endpoint, the oldest due one a sweep found): a
 * re-drive of the same moment dedupes on it.
 */
export const deliveryJobId = (delivery: { id: string; attempts: number }) => `${delivery.id}-${delivery.attempts}`;

/** The wake-up of an endpoint for its earliest retry: every job that computes the same moment dedupes into one. */
export const wakeUpJobId = (endpointId: string, at: Date) => `${endpointId}-at-${at.getTime()}`;

/** The first delivery of each endpoint in a list: one delivery job per endpoint serves them all. */
export function firstPerEndpoint<T extends { endpoint_id: string }>(deliveries: T[]): T[] {
  const first = new Map<string, T>();
  for (const delivery of deliveries) if (!first.has(delivery.endpoint_id)) first.set(delivery.endpoint_id, delivery);
  return [...first.values()];
}

/**
 * Turns unpublished event rows into one delivery row per subscribed enabled endpoint of the same
 * merchant and mode, and marks the events published, in one transaction. The caller enqueues the
 * returned deliveries after the commit; if that enqueue is lost, the deliveries are due rows in
 * Postgres and the sweeper re-drives them. SKIP LOCKED lets several relays run side by side.
 */
export async function relayEvents(db: Db, limit = 500): Promise<{ events: number; deliveries: DueDelivery[] }> {
  return inTransaction(db, async (trx) => {
    const events = await trx
      .selectFrom("events")
      .select(["id", "merchant_id", "livemode", "type"])
      .where("published_at", "is", null)
      .orderBy("seq")
      .limit(limit)
      .forUpdate()
      .skipLocked()
      .execute();
    if (events.length === 0) return { events: 0, deliveries: [] };

    const merchants = [...new Set(events.map((event) => event.merchant_id))];
    const endpoints = await trx
      .selectFrom("webhook_endpoints")
      .select(["id", "merchant_id", "livemode", "enabled_events"])
      .where("merchant_id", "in", merchants)
      .where("status", "=", "enabled")
      .where("deleted_at", "is", null)
      .execute();

    const now = new Date();
    const rows = events.flatMap((event) =>
      endpoints
        .filter(
          (endpoint) =>
            endpoint.merchant_id === event.merchant_id &&
            endpoint.livemode === event.livemode &&
            subscribesTo(endpoint.enabled_events, event.type),
        )
        .map((endpoint) => ({ id: newId("delivery"), event_id: event.id, endpoint_id: endpoint.id, status: "pending" as const, next_attempt_at: now })),
    );
    let deliveries: DueDelivery[] = [];
    if (rows.length > 0) {
      deliveries = await trx
        .insertInto("webhook_deliveries")
        .values(rows)
        // The partial index's predicate must be a literal: with a parameter, a prepared statement's generic
        // plan cannot prove it matches the index and Postgres refuses the ON CONFLICT.
        .onConflict((oc) => oc.columns(["event_id", "endpoint_id"]).where("redelivery", "=", sql.lit(false)).doNothing())
        .returning(["id", "endpoint_id", "attempts", "next_attempt_at"])
        .execute();
    }
    await trx
      .updateTable("events")
      .set({ published_at: now })
      .where(
        "id",
        "in",
        events.map((event) => event.id),
      )
      .execute();
    return { events: events.length, deliveries };
  });
}

/** Pending deliveries whose next attempt is due and that no worker holds: what the sweeper re-drives. */
export async function findDueDeliveries(db: Db, now: Date, limit = 1000): Promise<DueDelivery[]> {
  return db
    .selectFrom("webhook_deliveries")
    .select(["id", "endpoint_id", "attempts", "next_attempt_at"])
    // A literal, so a prepared statement's generic plan can still use the partial index (status = 'pending').
    .where("status", "=", sql.lit("pending"))
    .where("next_attempt_at", "<=", now)
    .where((eb) => eb.or([eb("locked_until", "is", null), eb("locked_until", "<", now)]))
    .orderBy("next_attempt_at")
    .limit(limit)
    .execute();
}
