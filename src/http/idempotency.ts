import { createHash } from "node:crypto";
import type { Context } from "hono";
import type { Trx } from "../db/database.js";
import { inTransaction } from "../db/transaction.js";
import type { WorkerOperationName, WorkerOperationParams } from "../domain/requests/operations.js";
import {
  cancelPendingRequest,
  claimRequest,
  completeRequest,
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
import { redrive } from "../queue/producer.js";
import { sleep, withDeadline } from "../deadline.js";
import { isOutage } from "../ops/outages.js";
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

/** Where a request's Idempotency-Key comes from when it is not a header (the console's confirmation forms). */
export interface IdentityOptions {
  idempotencyKey?: string | undefined;
}

export function requestIdentity(c: Ctx, options: IdentityOptions = {}): RequestIdentity {
  const header = options.idempotencyKey ?? c.req.header("idempotency-key");
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
export async function runInline(c: Ctx, deps: AppDeps, run: (trx: Trx) => Promise<OperationResult>, options: IdentityOptions = {}): Promise<Response> {
  const identity = requestIdentity(c, options);
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
 * How a worker-run request spends REQUEST_TIMEOUT_MS. The stored row gets `budget` (on Postgres's clock)
 * to take effect; the web process waits that long for the outcome, then settles: it withdraws the row
 * (a DELETE that waits for a worker holding it) or, if Postgres cannot tell it in time, waits out
 * `grace` past the deadline, after which no commit can land, and reads the row once. Every step has a
 * deadline, so the answer comes within REQUEST_TIMEOUT_MS plus at most a second.
 */
function requestTiming(timeoutMs: number) {
  const startedAt = Date.now();
  const grace = Math.min(500, Math.round(timeoutMs / 10));
  return {
    budget: timeoutMs - 2 * grace,
    grace,
    /** The hard bound on the answer. */
    answerBy: startedAt + timeoutMs + 1_000,
    left: (until: number) => Math.max(0, until - Date.now()),
  };
}
type Timing = ReturnType<typeof requestTiming>;

/**
 * A write a worker performs (redemption changes). The pending row is the durable request; the job only
 * carries its id. A 503 always means nothing happened and nothing will: the row is withdrawn, or its
 * deadline has passed (a trigger refuses a COMMIT after it). A retry with the same key is then safe.
 */
export async function runInWorker<N extends WorkerOperationName>(
  c: Ctx,
  deps: AppDeps,
  operation: N,
  params: WorkerOperationParams<N>,
  options: IdentityOptions = {},
): Promise<Response> {
  const identity = requestIdentity(c, options);
  const timing = requestTiming(deps.config.REQUEST_TIMEOUT_MS);
  const id = newId("idempotency");
  const work = { operation, params: params as unknown as Record<string, unknown>, budgetMs: timing.budget };
  let claimed: boolean;
  try {
    const giveUpAt = Date.now() + timing.budget;
    claimed = await withDeadline(deps.requests.claim({ identity, id, work }, giveUpAt), timing.budget, "postgres: storing the request");
  } catch (error) {
    // Not stored, or stored where no job will look for it: only a retry with the same key can run it.
    if (isOutage(error)) return unavailable(c);
    throw error;
  }
  if (!claimed) return replayExisting(c, deps, identity, timing);
  // The row's deadline is at most `budget` after the INSERT ran, which was before now.
  const deadline = Date.now() + timing.budget;
  let jobId: string | undefined;
  try {
    jobId = await withDeadline(deps.requests.enqueue(id, identity.scope.merchantId), Math.min(2_000, timing.left(deadline)), "redis: enqueue");
  } catch (error) {
    // Not enqueued, or enqueued too late to tell: withdraw the row, or learn it ran.
    if (!isOutage(error)) throw error;
    return settle(c, deps, id, deadline, timing);
  }
  return awaitOutcome(c, deps, id, deadline, timing, jobId);
}

/** Runs a bounded wait whose failure only matters as "not done": outages are the monitor's to report. */
async function bounded(work: Promise<unknown>, ms: number, what: string): Promise<boolean> {
  try {
    await withDeadline(work, ms, what);
    return true;
  } catch (error) {
    if (!isOutage(error)) throw error;
    return false;
  }
}

/**
 * Waits for the request's outcome until its deadline: woken by the worker's notice that it committed
 * (or, should that be lost, by polling with backoff), it reads the outcome of record from Postgres.
 * While the row is pending the job is re-added now and then, which recovers a job lost with Redis or
 * one whose web process died (a retry with the key waits here for it). The re-add names the job the
 * request went out with (its batch's), so while that job still waits in a backlog nothing is added:
 * under overload, re-adds must not grow the queue they are waiting in.
 */
async function awaitOutcome(c: Ctx, deps: AppDeps, id: string, deadline: number, timing: Timing, jobId = id): Promise<Response> {
  const redriveEveryMs = Math.min(2_000, Math.max(200, timing.budget / 4));
  // The notice is the normal path; polling early would add a query per waiting request exactly when
  // the system is busiest (and notices are merely slow).
  let pollMs = Math.min(500, Math.max(50, timing.budget / 8));
  let nextRedrive = Date.now() + redriveEveryMs;
  // A request stored late (a slow INSERT) has a deadline past the answer's bound: stop waiting in time.
  const waitUntil = Math.min(deadline, timing.answerBy - timing.grace);
  while (timing.left(waitUntil) > 0) {
    // Whichever job runs the request (its batch's, or a re-drive of it alone), the worker announces it.
    await deps.outcomes.wait(id, Math.min(pollMs, timing.left(waitUntil)));
    const row = await withDeadline(deps.requests.read(id), timing.left(waitUntil), "postgres: read request").catch(() => "unreadable" as const);
    if (row === "unreadable") continue;
    if (!row) return unavailable(c);
    if (row.status !== "pending") return answerFor(c, row);
    pollMs = Math.min(pollMs * 2, 1_000);
    if (Date.now() >= nextRedrive) {
      nextRedrive = Date.now() + redriveEveryMs;
      await bounded(redrive(deps.queues, "execute-request", { requestIds: [id], merchant: c.var.scope.merchantId }, { jobId, merchant: c.var.scope.merchantId }), Math.min(1_000, timing.left(waitUntil)), "redis: re-add").catch(() => {});
    }
  }
  return settle(c, deps, id, deadline, timing);
}

/**
 * The deadline has come: answer with the outcome of record, or 503 once it is certain that nothing
 * happened and nothing will. The DELETE is the quick, certain way (it waits for a worker holding the
 * row, then finds it completed, or removes it). If it cannot finish in time (Postgres away, a stalled
 * worker holding the lock), wait until `grace` past the deadline — no commit can land after the deadline,
 * and one that passed the check just before is visible by then — and read the row without locking.
 */
async function settle(c: Ctx, deps: AppDeps, id: string, deadline: number, timing: Timing): Promise<Response> {
  const withdrawn = await withDeadline(cancelPendingRequest(deps.db, id), timing.left(timing.answerBy - timing.grace), "postgres: withdraw").catch(
    () => "unknown" as const,
  );
  if (withdrawn === true) return unavailable(c);
  if (withdrawn === "unknown") {
    // Past the deadline + grace no commit can land; a request whose deadline lies beyond the answer's
    // bound cannot be settled that way in time.
    if (deadline + timing.grace > timing.answerBy) return outcomeUnknown(c);
    await sleep(timing.left(deadline + timing.grace));
  }
  const row = await withDeadline(deps.requests.read(id), timing.left(timing.answerBy), "postgres: read request").catch(() => "unreadable" as const);
  if (row === "unreadable") return outcomeUnknown(c);
  return row ? answerFor(c, row) : unavailable(c);
}

/** A settled row: its stored response, or 503 while pending (only read past the deadline + grace). */
function answerFor(c: Ctx, row: RequestRow, replayed = false): Response {
  if (row.status === "completed") return sendStored(c, stored(row), replayed);
  if (row.status === "failed") {
    return sendError(c, new ApiError("internal_error", "The request failed repeatedly and was not carried out; nothing was changed."));
  }
  return unavailable(c);
}

const unavailable = (c: Ctx) =>
  sendError(c, new ApiError("service_unavailable", "The request could not be processed in time; nothing was changed. Retry with the same Idempotency-Key.", undefined, 1));

const outcomeUnknown = (c: Ctx) =>
  sendError(
    c,
    new ApiError("outcome_unknown", "The service could not confirm whether the request was carried out. Retry with the same Idempotency-Key to learn its outcome.", undefined, 1),
  );

const stored = (row: RequestRow): StoredResponse => ({ status: row.response_status!, body: row.response_body! });

/** Another request holds (or held) this key: conflict if it was a different request, else its answer. */
async function replayExisting(c: Ctx, deps: AppDeps, identity: RequestIdentity, timing?: Timing): Promise<Response> {
  const row = await findRequestByKey(deps.db, identity.scope, identity.key);
  if (row && !sameRequest(row, identity)) {
    throw new ApiError(
      "idempotency_conflict",
      "This Idempotency-Key was already used with a different request (method, path or body).",
      "Idempotency-Key",
    );
  }
  // Withdrawn meanwhile (the first request was answered 503): nothing ran, and a retry is safe.
  if (!row) return unavailable(c);
  if (row.status !== "pending") return answerFor(c, row, true);
  // Still running: wait for it until its own deadline, and re-add its job like the first request does
  // (the process that stored it may have died, and its client is this retry).
  const own = timing ?? requestTiming(deps.config.REQUEST_TIMEOUT_MS);
  const deadline = Date.now() + Math.min(row.remaining_ms ?? own.budget, own.budget);
  const response = await awaitOutcome(c, deps, row.id, deadline, own);
  if (response.status < 500) response.headers.set("Idempotent-Replayed", "true");
  return response;
}
