import type { Db, Executor, Scope, Trx } from "../../db/database.js";
import { ApiError, notFound } from "../../errors.js";
import { newId } from "../../ids.js";
import { paginate, type ListParams } from "../pagination.js";
import { getEndpoint, subscribesTo, visibleTo } from "./endpoints.js";

async function findEvent(db: Executor, scope: Scope, id: string) {
  return db
    .selectFrom("events")
    .select(["id", "seq", "type", "payload"])
    .where("id", "=", id)
    .where("merchant_id", "=", scope.merchantId)
    .where("livemode", "=", scope.livemode)
    .executeTakeFirst();
}

/** The stored payload, byte for byte: what every delivery of the event sent. */
export async function getEventPayload(db: Executor, scope: Scope, id: string): Promise<string> {
  const event = await findEvent(db, scope, id);
  if (!event) throw notFound("event", id);
  return event.payload;
}

export async function listEvents(db: Db, scope: Scope, params: ListParams & { type?: string | undefined }) {
  return paginate(
    params,
    async (id) => (await findEvent(db, scope, id))?.seq,
    ({ bound, order, take }) => {
      let query = db
        .selectFrom("events")
        .select(["id", "seq", "payload"])
        .where("merchant_id", "=", scope.merchantId)
        .where("livemode", "=", scope.livemode);
      if (params.type) query = query.where("type", "=", params.type);
      if (bound) query = query.where("seq", bound.op, bound.seq);
      return query.orderBy("seq", order).limit(take).execute();
    },
    (row) => JSON.parse(row.payload) as Record<string, unknown>,
  );
}

/**
 * `POST /v1/events/:id/redeliver`: new delivery rows (own attempt counter and schedule) for the named
 * endpoint, or for every enabled endpoint subscribed to the event's type. A named endpoint gets the
 * event even if it is not subscribed to the type: the merchant asked for it explicitly.
 */
export async function createRedeliveries(trx: Trx, scope: Scope, eventId: string, endpointId: string | undefined) {
  const event = await findEvent(trx, scope, eventId);
  if (!event) throw notFound("event", eventId);
  let endpoints: string[];
  if (endpointId) {
    const endpoint = await getEndpoint(trx, scope, endpointId, "endpoint");
    if (endpoint.status !== "enabled") throw new ApiError("parameter_invalid", `Webhook endpoint '${endpointId}' is disabled.`, "endpoint");
    endpoints = [endpoint.id];
  } else {
    const rows = await trx
      .selectFrom("webhook_endpoints")
      .select(["id", "enabled_events"])
      .where(visibleTo(scope))
      .where("status", "=", "enabled")
      .orderBy("seq")
      .execute();
    endpoints = rows.filter((row) => subscribesTo(row.enabled_events, event.type)).map((row) => row.id);
  }
  const now = new Date();
  const deliveries = endpoints.map((endpoint) => ({
    id: newId("delivery"),
    event_id: event.id,
    endpoint_id: endpoint,
    redelivery: true,
    status: "pending" as const,
    next_attempt_at: now,
  }));
  if (deliveries.length > 0) await trx.insertInto("webhook_deliveries").values(deliveries).execute();
  return { object: "event_redelivery" as const, event: event.id, endpoints, deliveries: deliveries.map((row) => row.id) };
}
