import type { Insertable } from "kysely";
import type { Scope, Trx } from "../../db/database.js";
import type { EventTable } from "../../db/tables/event.table.js";
import { newId } from "../../ids.js";

export const REDEMPTION_EVENT_TYPES = [
  "loyalty.redemption.created",
  "loyalty.redemption.applied",
  "loyalty.redemption.released",
  "loyalty.redemption.reversed",
  "loyalty.redemption.fulfilled",
  "loyalty.redemption.settlement_conflict",
] as const;
export type RedemptionEventType = (typeof REDEMPTION_EVENT_TYPES)[number];

/**
 * Writes an event row (the outbox) in the caller's transaction, so the event exists if and only if
 * the change it describes committed. The body is serialised here, once: every delivery attempt and
 * redelivery sends these exact bytes.
 */
export async function insertOutboxEvent(trx: Trx, scope: Scope, event: OutboxEventInput): Promise<string> {
  const row = buildOutboxEvent(scope, event);
  await trx.insertInto("events").values(row).execute();
  return row.id;
}

export interface OutboxEventInput {
  type: RedemptionEventType;
  redemption: { id: string; version: number } & Record<string, unknown>;
  at?: Date;
}

/** The event row, serialised once, for callers that insert it as part of a larger statement. */
export function buildOutboxEvent(scope: Scope, event: OutboxEventInput): Insertable<EventTable> & { id: string } {
  const id = newId("event");
  const created = event.at ?? new Date();
  const payload = JSON.stringify({
    id,
    object: "event",
    type: event.type,
    data: { object: event.redemption },
    livemode: scope.livemode,
    created: Math.floor(created.getTime() / 1000),
  });
  return {
    id,
    merchant_id: scope.merchantId,
    livemode: scope.livemode,
    type: event.type,
    redemption_id: event.redemption.id,
    version: event.redemption.version,
    payload,
    created_at: created,
    published_at: null,
  };
}
