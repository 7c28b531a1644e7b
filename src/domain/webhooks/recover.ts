import { sql } from "kysely";
import type { Executor, Scope, Trx } from "../../db/database.js";
import { ApiError, notFound } from "../../errors.js";
import { newId } from "../../ids.js";
import { unixSeconds } from "../pagination.js";
import { visibleTo } from "./endpoints.js";

/** At most this many events are redelivered by one recover call; `has_more` says to call again. */
export const RECOVER_MAX_EVENTS = 1_000;

/**
 * `POST /v1/webhook-endpoints/:id/recover {since}`: one new delivery (own attempt counter and schedule,
 * like redeliver) to this endpoint for every event whose delivery to it failed for good (`failed`: the
 * retry schedule ran out, or the receiver answered 410) or was `canceled` (the endpoint was disabled
 * meanwhile), created at or after `since` — unless the event already reached the endpoint (a succeeded
 * delivery) or is on its way (a pending one). So a second recover creates nothing new. The endpoint's
 * row is locked, so concurrent recovers of one endpoint serialise instead of both redelivering.
 */
export async function recoverDeliveries(trx: Trx, scope: Scope, endpointId: string, since: Date) {
  const endpoint = await trx.selectFrom("webhook_endpoints").select(["id", "status"]).where("id", "=", endpointId).where(visibleTo(scope)).forUpdate().executeTakeFirst();
  if (!endpoint) throw notFound("webhook endpoint", endpointId);
  if (endpoint.status !== "enabled") throw new ApiError("parameter_invalid", `Webhook endpoint '${endpointId}' is disabled; enable it before recovering its deliveries.`, "id");
  const rows = await recoverableEvents(trx, scope, endpointId, since, RECOVER_MAX_EVENTS + 1);
  const events = rows.slice(0, RECOVER_MAX_EVENTS);
  const now = new Date();
  const deliveries = events.map((event) => ({ id: newId("delivery"), event_id: event, endpoint_id: endpointId, redelivery: true, status: "pending" as const, next_attempt_at: now }));
  if (deliveries.length > 0) await trx.insertInto("webhook_deliveries").values(deliveries).execute();
  return {
    object: "webhook_recovery" as const,
    endpoint: endpointId,
    since: unixSeconds(since),
    count: deliveries.length,
    events,
    deliveries: deliveries.map((row) => row.id),
    has_more: rows.length > RECOVER_MAX_EVENTS,
  };
}

/**
 * The events a recover would redeliver, oldest first: a delivery to the endpoint `failed` or `canceled`
 * at or after `since`, and none `succeeded` or `pending`. The endpoint must already be known in scope.
 */
export async function recoverableEvents(db: Executor, scope: Scope, endpointId: string, since: Date, limit: number): Promise<string[]> {
  const { rows } = await sql<{ event_id: string }>`
    SELECT e.id AS event_id
    FROM events e
    WHERE e.merchant_id = ${scope.merchantId} AND e.livemode = ${scope.livemode}
      AND EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id AND d.endpoint_id = ${endpointId}
                  AND d.status IN ('failed', 'canceled') AND d.created_at >= ${since})
      AND NOT EXISTS (SELECT 1 FROM webhook_deliveries o WHERE o.event_id = e.id AND o.endpoint_id = ${endpointId}
                      AND o.status IN ('succeeded', 'pending'))
    ORDER BY e.seq
    LIMIT ${limit}`.execute(db);
  return rows.map((row) => row.event_id);
}
