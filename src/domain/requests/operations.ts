import type { Scope, Trx } from "../../db/database.js";
import { createRedemption, type CreateRedemptionParams } from "../redemptions/create-redemption.js";
import type { ReversalReason } from "../redemptions/lifecycle.js";
import { fulfillById, releaseById, reverseById, type FulfillParams } from "../redemptions/manage-redemption.js";
import type { StoredResponse } from "./requests.js";

export interface OperationContext {
  /** The idempotency row the operation runs for; stored on what it creates (one key, one effect). */
  idempotencyId: string;
  pendingTtlSeconds: number;
}

/**
 * What a worker operation returns: its response, and whether it already stored that response on the
 * request's idempotency row itself (the create folds it into its one statement).
 */
export interface WorkerOperationResult {
  response: StoredResponse;
  requestCompleted: boolean;
}

type Operation = (trx: Trx, scope: Scope, params: never, context: OperationContext) => Promise<WorkerOperationResult>;

const respond = (status: number, body: unknown): WorkerOperationResult => ({ response: { status, body: JSON.stringify(body) }, requestCompleted: false });

/**
 * State-changing operations that the web process hands to a worker (DESIGN: workers run debit,
 * settle, release, fulfill and reverse). Params were validated by the route before they were stored.
 */
export const WORKER_OPERATIONS = {
  "redemption.create": async (trx, scope, params: CreateRedemptionParams, context) => {
    const created = await createRedemption(trx, scope, params, { pendingTtlSeconds: context.pendingTtlSeconds, idempotencyId: context.idempotencyId });
    return { response: created.response, requestCompleted: created.requestCompleted };
  },
  "redemption.fulfill": async (trx, scope, params: FulfillParams) => respond(200, await fulfillById(trx, scope, params)),
  "redemption.reverse": async (trx, scope, params: { id: string; reason: ReversalReason }) => respond(200, await reverseById(trx, scope, params)),
  "redemption.release": async (trx, scope, params: { id: string }) => respond(200, await releaseById(trx, scope, params)),
} satisfies Record<string, Operation>;

export type WorkerOperationName = keyof typeof WORKER_OPERATIONS;
export type WorkerOperationParams<N extends WorkerOperationName> = Parameters<(typeof WORKER_OPERATIONS)[N]>[2];

export const isWorkerOperation = (name: string | null): name is WorkerOperationName =>
  name !== null && Object.hasOwn(WORKER_OPERATIONS, name);
