import { sql } from "kysely";
import type { Db, Scope } from "../../db/database.js";
import type { EndpointRow } from "../webhooks/endpoints.js";

/**
 * Read models of the merchant console. Every query is scoped by merchant and mode, directly or through
 * a row (redemption, endpoint) that was itself found in scope, so another merchant's ids (or the other
 * mode's) find nothing, exactly as the API's lookups do.
 */

export interface TimelineEntry {
  at: Date;
  kind: "event" | "inbound" | "ledger";
  title: string;
  detail: string;
  /** Outbound deliveries of an event, each with its attempts. */
  deliveries?: DeliveryView[];
  /** An inbound webhook: its id and what it did to this redemption (its results' outcomes, or the row's). */
  inbound?: { webhookId: string; outcomes: string[] };
}

export interface DeliveryView {
  id: string;
  endpointId: string;
  endpointUrl: string;
  status: string;
  redelivery: boolean;
  nextAttemptAt: Date | null;
  attempts: { attempt: number; statusCode: number | null; durationMs: number; error: string | null; at: Date }[];
}

/** Every version of a redemption (its events), the inbound webhooks that touched it, and its ledger rows, oldest first. */
export async function redemptionTimeline(db: Db, scope: Scope, redemptionId: string): Promise<TimelineEntry[]> {
  const events = await db
    .selectFrom("events")
    .select(["id", "type", "version", "created_at", "published_at"])
    .where("merchant_id", "=", scope.merchantId)
    .where("livemode", "=", scope.livemode)
    .where("redemption_id", "=", redemptionId)
    .orderBy("seq")
    .execute();
  const eventIds = events.map((event) => event.id);
  const deliveries = eventIds.length
    ? await db
        .selectFrom("webhook_deliveries as d")
        .innerJoin("webhook_endpoints as w", "w.id", "d.endpoint_id")
        .select(["d.id", "d.event_id", "d.endpoint_id", "w.url", "d.status", "d.redelivery", "d.next_attempt_at", "d.created_at"])
        .where("d.event_id", "in", eventIds)
        .where("w.merchant_id", "=", scope.merchantId)
        .where("w.livemode", "=", scope.livemode)
        .orderBy("d.created_at")
        .execute()
    : [];
  const attempts = deliveries.length
    ? await db
        .selectFrom("webhook_attempts")
        .select(["delivery_id", "attempt", "status_code", "duration_ms", "error", "created_at"])
        .where("delivery_id", "in", deliveries.map((d) => d.id))
        .orderBy("seq")
        .execute()
    : [];
  const inbound = await db
    .selectFrom("inbound_webhooks")
    .select(["id", "source", "event_type", "webhook_id", "outcome", "results", "received_at", "processed_at"])
    .where("merchant_id", "=", scope.merchantId)
    .where("livemode", "=", scope.livemode)
    .where(sql<boolean>`results @> ${JSON.stringify([{ redemption: redemptionId }])}::jsonb`)
    .orderBy("received_at")
    .limit(100)
    .execute();
  const ledger = await db
    .selectFrom("points_transactions")
    .select(["id", "type", "amount", "balance_after", "created_at"])
    .where("merchant_id", "=", scope.merchantId)
    .where("livemode", "=", scope.livemode)
    .where("redemption_id", "=", redemptionId)
    .orderBy("seq")
    .execute();

  const entries: TimelineEntry[] = [];
  for (const event of events) {
    entries.push({
      at: event.created_at,
      kind: "event",
      title: `v${event.version} ${event.type}`,
      detail: `${event.id}${event.published_at ? "" : " (not yet relayed)"}`,
      deliveries: deliveries
        .filter((d) => d.event_id === event.id)
        .map((d) => ({
          id: d.id,
          endpointId: d.endpoint_id,
          endpointUrl: d.url,
          status: d.status,
          redelivery: d.redelivery,
          nextAttemptAt: d.next_attempt_at,
          attempts: attempts
            .filter((a) => a.delivery_id === d.id)
            .map((a) => ({ attempt: a.attempt, statusCode: a.status_code, durationMs: a.duration_ms, error: a.error, at: a.created_at })),
        })),
    });
  }
  for (const row of inbound) {
    const mine = (row.results ?? []).filter((result) => result.redemption === redemptionId);
    entries.push({
      at: row.received_at,
      kind: "inbound",
      title: `${row.source} webhook ${row.event_type}`,
      detail: `${row.webhook_id}: ${mine.map((result) => result.outcome).join(", ") || row.outcome || "not processed yet"}`,
      inbound: { webhookId: row.webhook_id, outcomes: mine.length ? mine.map((result) => result.outcome) : [row.outcome ?? "processing"] },
    });
  }
  for (const row of ledger) {
    entries.push({ at: row.created_at, kind: "ledger", title: `ledger ${row.type} ${row.amount > 0 ? "+" : ""}${row.amount}`, detail: `${row.id}, balance after ${row.balance_after}` });
  }
  return entries.sort((a, b) => a.at.getTime() - b.at.getTime());
}

export interface HourBucket {
  /** Start of the hour. */
  hour: Date;
  succeeded: number;
  failed: number;
}

export interface EndpointHealth {
  endpoint: EndpointRow;
  /** 24 buckets, oldest first, the last one the current hour. */
  hours: HourBucket[];
  succeeded: number;
  failed: number;
  lastError: { at: Date; statusCode: number | null; error: string | null } | null;
  nextRetryAt: Date | null;
  pending: number;
  disabledReason: string | null;
}

const OK = sql<boolean>`(error IS NULL AND status_code BETWEEN 200 AND 299)`;

/** Success and failures per hour over the last 24 h, the last error, the next retry, why it is disabled. */
export async function endpointHealth(db: Db, endpoint: EndpointRow, now = new Date()): Promise<EndpointHealth> {
  const currentHour = new Date(Math.floor(now.getTime() / 3_600_000) * 3_600_000);
  const from = new Date(currentHour.getTime() - 23 * 3_600_000);
  const { rows } = await sql<{ hour: Date; succeeded: number; failed: number }>`
    SELECT date_trunc('hour', created_at) AS hour,
           count(*) FILTER (WHERE ${OK})::int AS succeeded,
           count(*) FILTER (WHERE NOT ${OK})::int AS failed
    FROM webhook_attempts WHERE endpoint_id = ${endpoint.id} AND created_at >= ${from}
    GROUP BY 1`.execute(db);
  const byHour = new Map(rows.map((row) => [new Date(row.hour).getTime(), row]));
  const hours: HourBucket[] = [];
  for (let i = 0; i < 24; i++) {
    const hour = new Date(from.getTime() + i * 3_600_000);
    const row = byHour.get(hour.getTime());
    hours.push({ hour, succeeded: row?.succeeded ?? 0, failed: row?.failed ?? 0 });
  }
  const last = await db
    .selectFrom("webhook_attempts")
    .select(["created_at", "status_code", "error"])
    .where("endpoint_id", "=", endpoint.id)
    .where(sql<boolean>`NOT ${OK}`)
    .orderBy("seq", "desc")
    .limit(1)
    .executeTakeFirst();
  const pending = await db
    .selectFrom("webhook_deliveries")
    .select([sql<number>`count(*)::int`.as("count"), sql<Date | null>`min(next_attempt_at)`.as("next")])
    .where("endpoint_id", "=", endpoint.id)
    .where("status", "=", "pending")
    .executeTakeFirstOrThrow();
  let disabledReason: string | null = null;
  if (endpoint.status === "disabled") {
    const latest = await db.selectFrom("webhook_attempts").select("status_code").where("endpoint_id", "=", endpoint.id).orderBy("seq", "desc").limit(1).executeTakeFirst();
    disabledReason = latest?.status_code === 410 ? "The receiver answered 410 Gone, which disables an endpoint at once." : "Disabled through the API or the console.";
  }
  return {
    endpoint,
    hours,
    succeeded: hours.reduce((sum, h) => sum + h.succeeded, 0),
    failed: hours.reduce((sum, h) => sum + h.failed, 0),
    lastError: last ? { at: last.created_at, statusCode: last.status_code, error: last.error } : null,
    nextRetryAt: pending.next ? new Date(pending.next) : null,
    pending: pending.count,
    disabledReason,
  };
}

/**
 * Recent inbound webhooks (payments and warehouse) of the merchant in this mode, newest first; `before`
 * is the last row of the previous page (keyset on received_at, id: rows stored in one transaction share
 * their received_at, and a time cursor would skip them at a page boundary).
 */
export async function recentInbound(db: Db, scope: Scope, params: { limit: number; source?: "payments" | "warehouse" | undefined; before?: string | undefined }) {
  let query = db
    .selectFrom("inbound_webhooks")
    .select(["id", "source", "event_type", "webhook_id", "outcome", "results", "received_at", "processed_at", "attempts", "last_error", "failed_at"])
    .where("merchant_id", "=", scope.merchantId)
    .where("livemode", "=", scope.livemode);
  if (params.source) query = query.where("source", "=", params.source);
  const before = params.before;
  if (before) {
    query = query.where(({ eb, refTuple, selectFrom }) =>
      eb(refTuple("received_at", "id"), "<", selectFrom("inbound_webhooks as cursor").select(["cursor.received_at", "cursor.id"]).where("cursor.id", "=", before).where("cursor.merchant_id", "=", scope.merchantId).$asTuple("received_at", "id")),
    );
  }
  const rows = await query.orderBy("received_at", "desc").orderBy("id", "desc").limit(params.limit + 1).execute();
  return { rows: rows.slice(0, params.limit), hasMore: rows.length > params.limit };
}
