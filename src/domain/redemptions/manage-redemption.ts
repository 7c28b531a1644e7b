import type { Scope, Trx } from "../../db/database.js";
import { notFound } from "../../errors.js";
import {
  fulfillRedemption,
  refusal,
  releaseRedemption,
  reverseRedemption,
  type ReversalReason,
} from "./lifecycle.js";
import { serializeRedemption, type RedemptionObject } from "./serialize.js";
import { lockRedemption } from "./locks.js";
import type { TransitionResult } from "./transition.js";

/**
 * The merchant's manual lifecycle calls (REST), run by the worker inside the request's transaction.
 * Refusals throw ApiError so the request layer rolls back the savepoint and stores the 422 for replay.
 */

async function locked(trx: Trx, scope: Scope, id: string) {
  // Another merchant's or mode's id is answered like an unknown one.
  const row = await lockRedemption(trx, id, scope);
  if (!row) throw notFound("redemption", id);
  return row;
}

function answer(action: "fulfill" | "reverse" | "release", result: TransitionResult): RedemptionObject {
  if (!result.ok) throw refusal(action, result.row);
  return serializeRedemption(result.row);
}

export interface FulfillParams {
  id: string;
  tracking: string;
  carrier?: string | undefined;
}

export async function fulfillById(trx: Trx, scope: Scope, params: FulfillParams): Promise<RedemptionObject> {
  const row = await locked(trx, scope, params.id);
  const shipment = { tracking: params.tracking, carrier: params.carrier ?? null, shippedAt: new Date() };
  return answer("fulfill", await fulfillRedemption(trx, row, shipment));
}

export async function reverseById(trx: Trx, scope: Scope, params: { id: string; reason: ReversalReason }): Promise<RedemptionObject> {
  const row = await locked(trx, scope, params.id);
  return answer("reverse", await reverseRedemption(trx, row, params.reason));
}

export async function releaseById(trx: Trx, scope: Scope, params: { id: string }): Promise<RedemptionObject> {
  const row = await locked(trx, scope, params.id);
  return answer("release", await releaseRedemption(trx, row, "requested"));
}
