import { sql, type Insertable, type Selectable } from "kysely";
import type { Db, Scope, Trx } from "../../db/database.js";
import type { IdempotencyKeyTable } from "../../db/tables/idempotency-key.table.js";
import { isApiError } from "../../errors.js";

export type RequestRow = Selectable<IdempotencyKeyTable>;

/** What a request is, for recognising its retries: same key must mean same method, path and body. */
export interface RequestIdentity {
  scope: Scope;
  key: string;
  clientKey: boolean;
  method: string;
  path: string;
  requestHash: string;
  requestId: string;
}

export interface StoredResponse {
  status: number;
  body: string;
}

export const sameRequest = (row: RequestRow, identity: RequestIdentity) =>
  row.method === identity.method && row.path === identity.path && row.request_hash === identity.requestHash;

function rowValues(identity: RequestIdentity, id: string): Insertable<IdempotencyKeyTable> {
  return {
    id,
    merchant_id: identity.scope.merchantId,
    livemode: identity.scope.livemode,
    key: identity.key,
    client_key: identity.clientKey,
    method: identity.method,
    path: identity.path,
    request_hash: identity.requestHash,
    request_id: identity.requestId,
    status: "pending",
    operation: null,
    params: null,
    response_status: null,
    response_body: null,
    completed_at: null,
  };
}

/**
 * Claims the key: inserts the pending row unless the key exists. Under READ COMMITTED a concurrent
 * insert of the same key waits for the other transaction, then sees its row; so two requests can never
 * both own one key.
 */
export async function claimRequest(
  db: Db | Trx,
  identity: RequestIdentity,
  id: string,
  work?: { operation: string; params: Record<string, unknown> },
): Promise<boolean> {
  const values = rowValues(identity, id);
  if (work) Object.assign(values, { operation: work.operation, params: JSON.stringify(work.params) });
  const inserted = await db
    .insertInto("idempotency_keys")
    .values(values)
    .onConflict((oc) => oc.columns(["merchant_id", "livemode", "key"]).doNothing())
    .returning("id")
    .executeTakeFirst();
  return inserted !== undefined;
}

export async function findRequestByKey(db: Db, scope: Scope, key: string): Promise<RequestRow | undefined> {
  return db
    .selectFrom("idempotency_keys")
    .selectAll()
    .where("merchant_id", "=", scope.merchantId)
    .where("livemode", "=", scope.livemode)
    .where("key", "=", key)
    .executeTakeFirst();
}

export async function findRequest(db: Db, id: string): Promise<RequestRow | undefined> {
  return db.selectFrom("idempotency_keys").selectAll().where("id", "=", id).executeTakeFirst();
}

/**
 * Withdraws a request that has not run, so that a 503 truly means "nothing happened". If its job holds
 * the row (FOR UPDATE) the DELETE waits for it and then finds the row completed: false, use the result.
 */
export async function cancelPendingRequest(db: Db, id: string): Promise<boolean> {
  const deleted = await db.deleteFrom("idempotency_keys").where("id", "=", id).where("status", "=", "pending").executeTakeFirst();
  return deleted.numDeletedRows > 0n;
}

export async function completeRequest(trx: Trx, id: string, response: StoredResponse): Promise<void> {
  await trx
    .updateTable("idempotency_keys")
    .set({ status: "completed", response_status: response.status, response_body: response.body, completed_at: new Date() })
    .where("id", "=", id)
    .execute();
}

export interface OperationResult {
  status: number;
  body: unknown;
}

/**
 * Runs an operation inside a savepoint of the caller's transaction and serialises its response once.
 * An expected refusal (4xx ApiError) rolls back the operation's writes but not the transaction, so the
 * caller can still store the refusal as the request's outcome in the same commit. Anything else throws:
 * the whole transaction rolls back and nothing is stored (5xx are never replayed).
 */
export async function runInSavepoint(
  trx: Trx,
  requestId: string,
  operation: () => Promise<OperationResult>,
): Promise<StoredResponse> {
  await sql`SAVEPOINT operation`.execute(trx);
  try {
    const result = await operation();
    return { status: result.status, body: JSON.stringify(result.body) };
  } catch (error) {
    if (!isApiError(error) || error.status >= 500) throw error;
    await sql`ROLLBACK TO SAVEPOINT operation`.execute(trx);
    return { status: error.status, body: JSON.stringify(error.body(requestId)) };
  }
}
