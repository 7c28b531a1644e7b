import type { ExpressionBuilder, Selectable } from "kysely";
import type { Database, Db, Executor, Scope, Trx } from "../../db/database.js";
import type { Metadata } from "../../db/tables/account.table.js";
import type { WebhookEndpointStatus, WebhookEndpointTable } from "../../db/tables/webhook-endpoint.table.js";
import { notFound } from "../../errors.js";
import { newId } from "../../ids.js";
import { newWebhookSecret } from "../merchants/merchants.js";
import { paginate, unixSeconds, type ListParams } from "../pagination.js";
import { encryptSecret } from "./secret-box.js";

export type EndpointRow = Selectable<WebhookEndpointTable>;

/** After a rotation the old secret keeps signing alongside the new one for this long (spec §6). */
export const ROTATION_OVERLAP_MS = 24 * 3_600_000;

export function serializeEndpoint(row: EndpointRow) {
  return {
    id: row.id,
    object: "webhook_endpoint" as const,
    url: row.url,
    enabled_events: row.enabled_events,
    status: row.status,
    description: row.description,
    metadata: row.metadata,
    livemode: row.livemode,
    created: unixSeconds(row.created_at),
  };
}

export interface EndpointInput {
  url: string;
  enabled_events: string[];
  description?: string | undefined;
  metadata?: Metadata | undefined;
}

/** The secret is returned here and by rotation only; what is stored is its ciphertext. */
export async function createEndpoint(trx: Trx, scope: Scope, input: EndpointInput, secretKey: Buffer) {
  const row = await trx
    .insertInto("webhook_endpoints")
    .values({
      id: newId("webhookEndpoint"),
      merchant_id: scope.merchantId,
      livemode: scope.livemode,
      url: input.url,
      enabled_events: dedupe(input.enabled_events),
      status: "enabled",
      description: input.description ?? null,
      metadata: JSON.stringify(input.metadata ?? {}),
      deleted_at: null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  const secret = newWebhookSecret();
  await trx.insertInto("webhook_endpoint_secrets").values({ endpoint_id: row.id, ciphertext: encryptSecret(secretKey, row.id, secret), expires_at: null }).execute();
  return { ...serializeEndpoint(row), secret };
}

/** What a merchant's key in one mode can see: its own, live (not deleted) endpoints. */
export const visibleTo = (scope: Scope) => (eb: ExpressionBuilder<Database, "webhook_endpoints">) =>
  eb.and([eb("merchant_id", "=", scope.merchantId), eb("livemode", "=", scope.livemode), eb("deleted_at", "is", null)]);

/** Whether an endpoint subscribed to an event type (`"*"` = every type). */
export const subscribesTo = (enabledEvents: readonly string[], type: string) => enabledEvents.includes("*") || enabledEvents.includes(type);

export async function findEndpoint(db: Executor, scope: Scope, id: string): Promise<EndpointRow | undefined> {
  return db
    .selectFrom("webhook_endpoints")
    .selectAll()
    .where("id", "=", id)
    .where(visibleTo(scope))
    .executeTakeFirst();
}

export async function getEndpoint(db: Executor, scope: Scope, id: string, param?: string): Promise<EndpointRow> {
  const row = await findEndpoint(db, scope, id);
  if (!row) throw notFound("webhook endpoint", id, param);
  return row;
}

export async function listEndpoints(db: Db, scope: Scope, params: ListParams) {
  return paginate(
    params,
    async (id) => (await findEndpoint(db, scope, id))?.seq,
    ({ bound, order, take }) => {
      let query = db
        .selectFrom("webhook_endpoints")
        .selectAll()
        .where(visibleTo(scope));
      if (bound) query = query.where("seq", bound.op, bound.seq);
      return query.orderBy("seq", order).limit(take).execute();
    },
    serializeEndpoint,
  );
}

export interface EndpointPatch {
  url?: string | undefined;
  enabled_events?: string[] | undefined;
  status?: WebhookEndpointStatus | undefined;
  description?: string | null | undefined;
  metadata?: Metadata | undefined;
}

export async function updateEndpoint(trx: Trx, scope: Scope, id: string, patch: EndpointPatch) {
  const changes = Object.fromEntries(
    Object.entries({
      url: patch.url,
      enabled_events: patch.enabled_events && dedupe(patch.enabled_events),
      status: patch.status,
      description: patch.description,
      metadata: patch.metadata === undefined ? undefined : JSON.stringify(patch.metadata),
    }).filter(([, value]) => value !== undefined),
  );
  if (Object.keys(changes).length === 0) return serializeEndpoint(await getEndpoint(trx, scope, id));
  const row = await trx
    .updateTable("webhook_endpoints")
    .set({ ...changes, updated_at: new Date() })
    .where("id", "=", id)
    .where(visibleTo(scope))
    .returningAll()
    .executeTakeFirst();
  if (!row) throw notFound("webhook endpoint", id);
  return serializeEndpoint(row);
}

/** Soft delete: pending deliveries to it are canceled when their job next looks at them. */
export async function deleteEndpoint(trx: Trx, scope: Scope, id: string) {
  const row = await trx
    .updateTable("webhook_endpoints")
    .set({ deleted_at: new Date(), status: "disabled", updated_at: new Date() })
    .where("id", "=", id)
    .where(visibleTo(scope))
    .returning("id")
    .executeTakeFirst();
  if (!row) throw notFound("webhook endpoint", id);
  return { id, object: "webhook_endpoint" as const, deleted: true as const };
}

/**
 * New current secret; the previous current one keeps signing for ROTATION_OVERLAP_MS so receivers can
 * switch without dropping deliveries. Secrets already in an earlier overlap keep their own end time.
 */
export async function rotateEndpointSecret(trx: Trx, scope: Scope, id: string, secretKey: Buffer, now = new Date()) {
  const row = await trx
    .selectFrom("webhook_endpoints")
    .selectAll()
    .where("id", "=", id)
    .where(visibleTo(scope))
    .forUpdate()
    .executeTakeFirst();
  if (!row) throw notFound("webhook endpoint", id);
  await trx
    .updateTable("webhook_endpoint_secrets")
    .set({ expires_at: new Date(now.getTime() + ROTATION_OVERLAP_MS) })
    .where("endpoint_id", "=", id)
    .where("expires_at", "is", null)
    .execute();
  const secret = newWebhookSecret();
  await trx.insertInto("webhook_endpoint_secrets").values({ endpoint_id: id, ciphertext: encryptSecret(secretKey, id, secret), expires_at: null }).execute();
  return { ...serializeEndpoint(row), secret };
}

const dedupe = (values: string[]) => [...new Set(values)];
