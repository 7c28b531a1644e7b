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
    deadline_at: null,
    last_error: null,
  };
}

/** Work a worker executes for a stored request, and how long it may take to take effect. */
export interface RequestWork {
  operation: string;
  params: Record<string, unknown>;
  /** From now (Postgres's clock): after that the request can no longer commit (see the migration's trigger). */
  budgetMs: number;
}

/** A request to store: who it is, the id its row gets, and (for worker-run requests) its work. */
export interface RequestClaim {
  identity: RequestIdentity;
  id: string;
  work?: RequestWork;
}

/**
 * Claims the keys: inserts the pending rows, in one statement, unless a key exists. Under READ
 * COMMITTED a concurrent insert of the same key waits for the other transaction, then sees its row; so
 * two requests can never both own one key. A row of the same request that can no longer take effect
 * (pending past its deadline, or dead-lettered) is taken over under a new id: its job, if it still runs,
 * finds nothing to do. Returns the ids that were claimed. One statement cannot touch a row twice, so
 * the claims must name distinct keys (the caller sends a repeat on its own, after the first).
 */
export async function claimRequests(db: Db | Trx, claims: RequestClaim[]): Promise<Set<string>> {
  if (claims.length === 0) return new Set();
  const inserted = await db
    .insertInto("idempotency_keys")
    .values(claims.map(claimValues))
    .onConflict((oc) =>
      oc
        .columns(["merchant_id", "livemode", "key"])
        .doUpdateSet((eb) => ({
          id: eb.ref("excluded.id"),
          params: eb.ref("excluded.params"),
          request_id: eb.ref("excluded.request_id"),
          deadline_at: eb.ref("excluded.deadline_at"),
          status: "pending",
          attempts: 0,
          last_error: null,
          created_at: sql<Date>`now()`,
        }))
        .where((eb) =>
          eb.and([
            eb("idempotency_keys.method", "=", eb.ref("excluded.method")),
            eb("idempotency_keys.path", "=", eb.ref("excluded.path")),
            eb("idempotency_keys.request_hash", "=", eb.ref("excluded.request_hash")),
            eb.or([
              eb("idempotency_keys.status", "=", "failed"),
              eb.and([eb("idempotency_keys.status", "=", "pending"), eb("idempotency_keys.deadline_at", "<", sql<Date>`clock_timestamp()`)]),
            ]),
          ]),
        ),
    )
    .returning("id")
    .execute();
  return new Set(inserted.map((row) => row.id));
}

/** Claims one key (see `claimRequests`). */
export async function claimRequest(db: Db | Trx, identity: RequestIdentity, id: string, work?: RequestWork): Promise<boolean> {
  return (await claimRequests(db, [{ identity, id, ...(work ? { work } : {}) }])).has(id);
}

function claimValues({ identity, id, work }: RequestClaim): Insertable<IdempotencyKeyTable> {
  const values = rowValues(identity, id);
  if (!work) return values;
  return {
    ...values,
    operation: work.operation,
    params: JSON.stringify(work.params),
    deadline_at: sql<Date>`clock_timestamp() + make_interval(secs => ${work.budgetMs / 1000})` as unknown as Date,
  };
}

/** The row of a key, with how long (ms, Postgres's clock) it still has before its deadline. */
export async function findRequestByKey(db: Db, scope: Scope, key: string): Promise<(RequestRow & { remaining_ms: number | null }) | undefined> {
  return db
    .selectFrom("idempotency_keys")
    .selectAll()
    .select(sql<number | null>`(extract(epoch FROM deadline_at - clock_timestamp()) * 1000)::float8`.as("remaining_ms"))
    .where("merchant_id", "=", scope.merchantId)
    .where("livemode", "=", scope.livemode)
    .where("key", "=", key)
    .executeTakeFirst();
}

export async function findRequest(db: Db, id: string): Promise<RequestRow | undefined> {
  return db.selectFrom("idempotency_keys").selectAll().where("id", "=", id).executeTakeFirst();
}

/** Many rows by id in one statement (one text for any number of ids: `= ANY($1)`). */
export async function findRequests(db: Db, ids: string[]): Promise<Map<string, RequestRow>> {
  const rows = await db.selectFrom("idempotency_keys").selectAll().where("id", "=", sql<string>`ANY(${ids}::text[])`).execute();
  return new Map(rows.map((row) => [row.id, row]));
}

/**
 * Withdraws a request that has not run, so that a 503 truly means "nothing happened". If its job holds
 * the row (FOR UPDATE) the DELETE waits for it and then finds the row completed: false, use the result.
 * Dead-lettered rows go too: they never took effect either, and a retry with the key starts afresh.
 */
export async function cancelPendingRequest(db: Db | Trx, id: string): Promise<boolean> {
  const deleted = await db.deleteFrom("idempotency_keys").where("id", "=", id).where("status", "in", ["pending", "failed"]).executeTakeFirst();
  return deleted.numDeletedRows > 0n;
}

/**
 * Counts a failed run of a stored request (an outage is not counted: the caller decides). At
 * `maxAttempts` the row is dead-lettered: `failed`, never run again. Returns the row's status after.
 */
export async function recordFailedRun(db: Db, id: string, error: string, maxAttempts: number): Promise<"pending" | "failed" | null> {
  const row = await db
    .updateTable("idempotency_keys")
    .set((eb) => ({
      attempts: eb("attempts", "+", 1),
      last_error: error.slice(0, 1000),
      status: sql<"pending" | "failed">`CASE WHEN attempts + 1 >= ${maxAttempts} THEN 'failed' ELSE status END`,
    }))
    .where("id", "=", id)
    .where("status", "=", "pending")
    .returning("status")
    .executeTakeFirst();
  return (row?.status as "pending" | "failed" | undefined) ?? null;
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
