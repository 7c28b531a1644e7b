import type { Selectable } from "kysely";
import type { Db, Scope } from "../../db/database.js";
import type { WebhookAttemptTable } from "../../db/tables/webhook-delivery.table.js";
import { paginate, unixSeconds, type ListParams } from "../pagination.js";
import { getEndpoint } from "./endpoints.js";

type AttemptRow = Selectable<WebhookAttemptTable>;

export function serializeAttempt(row: AttemptRow) {
  return {
    id: row.id,
    object: "webhook_attempt" as const,
    event: row.event_id,
    endpoint: row.endpoint_id,
    attempt: row.attempt,
    status_code: row.status_code,
    duration_ms: row.duration_ms,
    error: row.error,
    created: unixSeconds(row.created_at),
    next_attempt_at: row.next_attempt_at ? unixSeconds(row.next_attempt_at) : null,
  };
}

/** The attempts log of one endpoint (scoped: a foreign endpoint is a 404), newest first. */
export async function listAttempts(db: Db, scope: Scope, endpointId: string, params: ListParams & { event?: string | undefined }) {
  await getEndpoint(db, scope, endpointId);
  return paginate(
    params,
    async (id) =>
      (await db.selectFrom("webhook_attempts").select("seq").where("id", "=", id).where("endpoint_id", "=", endpointId).executeTakeFirst())?.seq,
    ({ bound, order, take }) => {
      let query = db.selectFrom("webhook_attempts").selectAll().where("endpoint_id", "=", endpointId);
      if (params.event) query = query.where("event_id", "=", params.event);
      if (bound) query = query.where("seq", bound.op, bound.seq);
      return query.orderBy("seq", order).limit(take).execute();
    },
    serializeAttempt,
  );
}
