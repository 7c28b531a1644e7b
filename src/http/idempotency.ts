import { createHash } from "node:crypto";
import type { Context } from "hono";
import type { Trx } from "../db/database.js";
import { inTransaction } from "../db/transaction.js";
import type { WorkerOperationName, WorkerOperationParams } from "../domain/requests/operations.js";
import {
  cancelPendingRequest,
  claimRequest,
  completeRequest,
  findRequest,
  findRequestByKey,
  runInSavepoint,
  sameRequest,
  type OperationResult,
  type RequestIdentity,
  type RequestRow,
  type StoredResponse,
} from "../domain/requests/requests.js";
import { ApiError } from "../errors.js";
import { newId } from "../ids.js";
import { enqueue, redrive } from "../queue/producer.js";
import type { AppDeps, AppEnv } from "./env.js";
import { sendError } from "./middleware/errors.js";
import { sendStored } from "./respond.js";

type Ctx = Context<AppEnv>;

const KEY_FORMAT = /^[\x20-\x7E]{1,255}$/;

/** JSON with sorted keys: the same parameters hash the same whatever their order or spacing. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

export function requestIdentity(c: Ctx): RequestIdentity {
  const header = c.req.header("idempotency-key");
  if (header !== undefined && !KEY_FORMAT.test(header)) {
    throw new ApiError("parameter_invalid", "Idempotency-Key must be 1–255 printable ASCII characters.", "Idempotency-Key");
  }
  const requestId = c.var.requestId;
  return {
    scope: c.var.scope,
    key: header ?? `auto_${requestId}`,
    clientKey: header !== undefined,
    method: c.req.method,
    path: c.req.path,
    requestHash: createHash("sha256").update(canonicalJson(c.var.body ?? {})).digest("hex"),
    requestId,
  };
}

/**
 * A write the web process performs itself (accounts, points, rewards). Claiming the key, the effect and
 * the stored response share one transaction: a crash before commit leaves no trace, a concurrent
 * request with the same key blocks on the key's row and then replays the committed answer.
 */
export async function runInline(c: Ctx, deps: AppDeps, run: (trx: Trx) => Promise<OperationResult>): Promise<Response> {
  const identity = requestIdentity(c);
  if (!identity.clientKey) {
    const response = await inTransaction(deps.db, (trx) => runInSavepoint(trx, identity.requestId, () => run(trx)));
    return sendStored(c, response);
  }
  const id = newId("idempotency");
  const response = await inTransaction(deps.db, async (trx) => {
    if (!(await claimRequest(trx, identity, id))) return null;
    const stored = await runInSavepoint(trx, identity.requestId, () => run(trx));
    await completeRequest(trx, id, stored);
    return stored;
  });
  if (response) return sendStored(c, response);
  return replayExisting(c, deps, identity);
}

/**
 * A write a worker performs (redemption changes). The pending row is the durable request; the job only
 * carries its id. The handler waits for the outcome of record in Postgres. If the queue is down, or the
 * outcome does not come in time, the request is withdrawn before answering 503, so a 503 always means
 * nothing happened and a retry with the same key is safe.
 */
export async function runInWorker<N extends WorkerOperationName>(
  c: Ctx,
  deps: AppDeps,
  operation: N,
  params: WorkerOperationParams<N>,
): Promise<Response> {
  const identity = requestIdentity(c);
  const id = newId("idempotency");
  const claimed = await claimRequest(deps.db, identity, id, { operation, params: params as unknown as Record<string, unknown> });
  if (!claimed) return replayExisting(c, deps, identity);

  try {
    await enqueue(deps.queues, "execute-request", { requestId: id }, { jobId: id });
  } catch (error) {
    c.var.logger.warn({ err: error }, "enqueue failed");
    return withdrawOrAnswer(c, deps, id);
  }
  const outcome = await waitForCompletion(deps, id);
  if (outcome.status === "completed") return sendStored(c, outcome.response);
  return withdrawOrAnswer(c, deps, id);
}

async function withdrawOrAnswer(c: Ctx, deps: AppDeps, id: string): Promise<Response> {
  if (await cancelPendingRequest(deps.db, id)) return unavailable(c);
  const row = await findRequest(deps.db, id);
  return row?.status === "completed" ? sendStored(c, stored(row)) : unavailable(c);
}

const unavailable = (c: Ctx) =>
  sendError(c, new ApiError("service_unavailable", "The request could not be processed in time; nothing was changed. Retry with the same Idempotency-Key.", undefined, 1));

const stored = (row: RequestRow): StoredResponse => ({ status: row.response_status!, body: row.response_body! });

/**
 * Waits for the request's outcome: the completion notice usually carries the committed response; if
 * not (lost notice, or another run committed it), the row is read from Postgres, polled with backoff.
 * While the row is pending the job is re-added now and then (deduplicated by id), which recovers a job
 * lost with Redis.
 */
async function waitForCompletion(deps: AppDeps, id: string): Promise<Outcome> {
  const timeout = deps.config.REQUEST_TIMEOUT_MS;
  const deadline = Date.now() + timeout;
  // Re-add the job a few times within the deadline: often enough to recover a lost job before the
  // client is answered 503, rarely enough to cost nothing when the queue is merely busy.
  const redriveEveryMs = Math.min(2_000, Math.max(200, timeout / 4));
  // The notice is the normal path; polling is the fallback for a lost one. Polling early would add a
  // query per waiting request exactly when the system is busiest (and notices are merely slow).
  let pollMs = Math.min(500, Math.max(50, timeout / 8));
  let nextRedrive = Date.now() + redriveEveryMs;
  for (;;) {
    const notice = await deps.outcomes.wait(id, Math.min(pollMs, Math.max(0, deadline - Date.now())));
    if (notice) return { status: "completed", response: notice };
    const row = await findRequest(deps.db, id);
    if (!row) return { status: "missing" };
    if (row.status === "completed") return { status: "completed", response: stored(row) };
    if (Date.now() >= deadline) return { status: "pending" };
    pollMs = Math.min(pollMs * 2, 1_000);
    if (Date.now() >= nextRedrive) {
      nextRedrive = Date.now() + redriveEveryMs;
      await redrive(deps.queues, "execute-request", { requestId: id }, { jobId: id }).catch(() => {});
    }
  }
}

type Outcome = { status: "completed"; response: StoredResponse } | { status: "pending" } | { status: "missing" };

/** Another request holds (or held) this key: conflict if it was a different request, else its answer. */
async function replayExisting(c: Ctx, deps: AppDeps, identity: RequestIdentity): Promise<Response> {
  const row = await findRequestByKey(deps.db, identity.scope, identity.key);
  if (row && !sameRequest(row, identity)) {
    throw new ApiError(
      "idempotency_conflict",
      "This Idempotency-Key was already used with a different request (method, path or body).",
      "Idempotency-Key",
    );
  }
  if (row?.status === "completed") return sendStored(c, stored(row), true);
  // A retry waits for the first request, and re-adds its job like the first one does: the process that
  // stored it may have died (its client is this retry), and waiting for the sweeper would take longer.
  const outcome = row ? await waitForCompletion(deps, row.id) : ({ status: "missing" } as const);
  if (outcome.status === "completed") return sendStored(c, outcome.response, true);
  // The first request was withdrawn (503) meanwhile: nothing ran, and a retry is safe.
  if (outcome.status === "missing") return unavailable(c);
  throw new ApiError("idempotency_in_progress", "A request with this Idempotency-Key is still being processed; retry shortly.", "Idempotency-Key");
}
