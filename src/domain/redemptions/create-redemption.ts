import { sql } from "kysely";
import type { Scope, Trx } from "../../db/database.js";
import type { Metadata } from "../../db/tables/account.table.js";
import type { Credit, Discount, Fulfillment, RedemptionStatus, Shipping } from "../../db/tables/redemption.table.js";
import { ApiError } from "../../errors.js";
import { newDiscountCode, newId } from "../../ids.js";
import { buildOutboxEvent } from "../events/outbox.js";
import { refusedDebit, type PointsEntry } from "../ledger/ledger.js";
import { getReward, type RewardRow } from "../rewards/rewards.js";
import { serializeRedemption, type RedemptionObject, type RedemptionRow } from "./serialize.js";

export interface CreateRedemptionParams {
  account: string;
  reward: string;
  quantity: number;
  shipping?: Shipping | undefined;
  metadata?: Metadata | undefined;
}

export interface CreateRedemptionContext {
  pendingTtlSeconds: number;
  idempotencyId: string | null;
  /** The reward, already read by the caller (a batch reads its rewards at once); read here if absent. */
  reward?: RewardRow | undefined;
}

interface Artifact {
  status: RedemptionStatus;
  discount: Discount | null;
  credit: Credit | null;
  fulfillment: Fulfillment | null;
}

/**
 * The debit. After reading the reward, ONE statement takes the inventory (when limited), debits the
 * account (only if it is active and can afford it, and only if the inventory was taken), and — only if
 * the debit happened — writes the ledger row, the redemption, its event(s) and the request's stored
 * response. Either all of it happens or none of it does in that statement; when the debit did not
 * happen, the refusal is thrown and the caller rolls the whole transaction back (undoing an inventory
 * take), then records the refusal as the request's outcome.
 *
 * Why one statement: each round trip costs more than the SQL it carries, and the account row stays
 * locked from the debit to the commit — one statement plus COMMIT keeps a hot account's lock short.
 * Locks follow the lock order (locks.ts): reward row, then account row. What orders them is the data
 * dependency: the debit's WHERE needs `EXISTS (SELECT 1 FROM inventory)`, so the take runs first
 * (sibling CTEs without one run in no guaranteed order). Keep it if this statement changes.
 */
export async function createRedemption(
  trx: Trx,
  scope: Scope,
  params: CreateRedemptionParams,
  context: CreateRedemptionContext,
): Promise<CreatedRedemption> {
  const reward = context.reward ?? (await getReward(trx, scope, params.reward, "reward"));
  return insertRedemption(trx, prepareRedemption(scope, params, reward, context));
}

/**
 * A create worked out in memory, before any SQL: the redemption row, its API object and stored 201
 * response, its outbox event(s) and its debit. Throws the refusals the reward alone decides (inactive,
 * parameters that do not fit its type).
 */
export interface PreparedRedemption {
  scope: Scope;
  params: CreateRedemptionParams;
  reward: RewardRow;
  row: RedemptionRow;
  redemption: RedemptionObject;
  response: { status: number; body: string };
  events: ReturnType<typeof buildOutboxEvent>[];
  debit: PointsEntry & { redemptionId: string; accountParam: string };
}

export function prepareRedemption(scope: Scope, params: CreateRedemptionParams, reward: RewardRow, context: CreateRedemptionContext): PreparedRedemption {
  if (!reward.active) throw new ApiError("reward_inactive", `Reward '${reward.id}' is not active.`, "reward");
  const artifact = checkRewardParams(reward, params)(params.quantity);
  const points = reward.cost * params.quantity;

  const now = new Date();
  const row: RedemptionRow = {
    id: newId("redemption"),
    seq: 0, // assigned by Postgres; not part of the API object
    merchant_id: scope.merchantId,
    livemode: scope.livemode,
    account_id: params.account,
    reward_id: reward.id,
    reward_type: reward.type,
    quantity: params.quantity,
    points,
    status: artifact.status,
    discount: artifact.discount,
    discount_code: artifact.discount?.code ?? null,
    credit: artifact.credit,
    fulfillment: artifact.fulfillment,
    payment_id: null,
    points_transaction_id: newId("pointsTransaction"),
    reversal: null,
    expires_at: artifact.status === "pending" ? new Date(now.getTime() + context.pendingTtlSeconds * 1000) : null,
    // A store credit is issued and applied at once: two status changes (created v1, applied v2).
    version: artifact.status === "applied" ? 2 : 1,
    metadata: params.metadata ?? {},
    idempotency_id: context.idempotencyId,
    created_at: now,
    updated_at: now,
  };
  const redemption = serializeRedemption(row);
  const response = { status: 201, body: JSON.stringify(redemption) };
  const events = [buildOutboxEvent(scope, { type: "loyalty.redemption.created", redemption: { ...redemption, version: 1 }, at: now })];
  if (artifact.status === "applied") events.push(buildOutboxEvent(scope, { type: "loyalty.redemption.applied", redemption, at: now }));
  const debit = { accountId: params.account, type: "redemption" as const, amount: -points, reason: `redemption of ${reward.id}`, redemptionId: row.id, accountParam: "account" };
  return { scope, params, reward, row, redemption, response, events, debit };
}

/** The one statement of a create (see `createRedemption`); a refusal is thrown. */
async function insertRedemption(trx: Trx, prepared: PreparedRedemption): Promise<CreatedRedemption> {
  const { scope, params, reward, row, redemption, response, events, debit } = prepared;
  const points = row.points;
  const limited = reward.inventory !== null;
  const now = row.created_at;
  // A discount-code collision (32^8 codes per merchant) fails the unique index and so the transaction;
  // the job's retry then draws a new code.
  const { rows } = await sql<{ balance: number | null; stocked: boolean }>`
    WITH ${limited ? sql`inventory AS (
      UPDATE rewards SET inventory = inventory - ${params.quantity} WHERE id = ${reward.id} AND inventory >= ${params.quantity} RETURNING 1
    ),` : sql``}
    debit AS (
      UPDATE loyalty_accounts SET balance = balance - ${points}
      WHERE id = ${params.account} AND merchant_id = ${scope.merchantId} AND livemode = ${scope.livemode}
        AND status = 'active' AND balance >= ${points} ${limited ? sql`AND EXISTS (SELECT 1 FROM inventory)` : sql``}
      RETURNING balance
    ),
    ledger AS (
      INSERT INTO points_transactions (id, merchant_id, livemode, account_id, type, amount, balance_after, reason, redemption_id, metadata)
      SELECT ${row.points_transaction_id}::text, ${scope.merchantId}::text, ${scope.livemode}::boolean, ${params.account}::text,
             'redemption', ${-points}::bigint, debit.balance, ${debit.reason}::text, ${row.id}::text, '{}'::jsonb
      FROM debit
    ),
    redemption AS (
      INSERT INTO redemptions (id, merchant_id, livemode, account_id, reward_id, reward_type, quantity, points, status, discount,
        discount_code, credit, fulfillment, payment_id, points_transaction_id, reversal, expires_at, version, metadata, idempotency_id,
        created_at, updated_at)
      SELECT ${row.id}::text, ${scope.merchantId}::text, ${scope.livemode}::boolean, ${params.account}::text, ${reward.id}::text,
        ${reward.type}::text, ${params.quantity}::int, ${points}::bigint, ${row.status}::text, ${jsonOrNull(row.discount)}::jsonb,
        ${row.discount_code}::text, ${jsonOrNull(row.credit)}::jsonb, ${jsonOrNull(row.fulfillment)}::jsonb, NULL, ${row.points_transaction_id}::text,
        NULL, ${row.expires_at}::timestamptz, ${row.version}::int, ${JSON.stringify(row.metadata)}::jsonb, ${row.idempotency_id}::text,
        ${now}::timestamptz, ${now}::timestamptz
      FROM debit
    ),
    event AS (
      INSERT INTO events (id, merchant_id, livemode, type, redemption_id, version, payload, created_at)
      SELECT e.* FROM (VALUES ${sql.join(
        events.map((e) => sql`(${e.id}::text, ${e.merchant_id}::text, ${e.livemode}::boolean, ${e.type}::text, ${e.redemption_id}::text, ${e.version}::int, ${e.payload}::text, ${now}::timestamptz)`),
      )}) AS e (id, merchant_id, livemode, type, redemption_id, version, payload, created_at)
      WHERE EXISTS (SELECT 1 FROM debit)
    )${row.idempotency_id === null ? sql`` : sql`,
    completed AS (
      UPDATE idempotency_keys SET status = 'completed', response_status = ${response.status}, response_body = ${response.body}, completed_at = ${now}
      WHERE id = ${row.idempotency_id} AND EXISTS (SELECT 1 FROM debit)
    )`}
    SELECT (SELECT balance FROM debit) AS balance, ${limited ? sql`EXISTS (SELECT 1 FROM inventory)` : sql`true`} AS stocked`.execute(trx);

  const outcome = rows[0]!;
  if (!outcome.stocked) throw new ApiError("reward_out_of_stock", `Reward '${reward.id}' is out of stock.`, "reward");
  if (outcome.balance === null) throw await refusedDebit(trx, scope, debit);
  return { redemption, response, requestCompleted: row.idempotency_id !== null };
}

export interface CreatedRedemption {
  redemption: RedemptionObject;
  /** The 201 response, serialised once. */
  response: { status: number; body: string };
  /** True when the same statement already stored `response` on the request's idempotency row. */
  requestCompleted: boolean;
}

export const jsonOrNull = (value: object | null) => (value === null ? null : JSON.stringify(value));

/** Validates the request against the reward's type and returns how to build its artifact. */
function checkRewardParams(reward: RewardRow, params: CreateRedemptionParams): (quantity: number) => Artifact {
  const value = reward.value as Record<string, unknown>;
  switch (reward.type) {
    case "discount_amount": {
      const { amount, currency } = value as { amount: number; currency: string };
      return (quantity) => ({
        status: "pending",
        discount: { amount: amount * quantity, currency, code: newDiscountCode() },
        credit: null,
        fulfillment: null,
      });
    }
    case "discount_percent": {
      if (params.quantity !== 1) {
        throw new ApiError("parameter_invalid", "A percentage discount is redeemed one at a time: quantity must be 1.", "quantity");
      }
      const { percent } = value as { percent: number };
      return () => ({ status: "pending", discount: { percent, code: newDiscountCode() }, credit: null, fulfillment: null });
    }
    case "free_product": {
      const shipping = params.shipping;
      if (!shipping) throw new ApiError("parameter_missing", "A free_product reward needs `shipping`.", "shipping");
      const { product, quantity: perUnit = 1 } = value as { product: string; quantity?: number };
      return (quantity) => ({
        status: "fulfillment_pending",
        discount: null,
        credit: null,
        fulfillment: { product, quantity: perUnit * quantity, shipping, carrier: null, tracking: null, shipped_at: null },
      });
    }
    case "store_credit": {
      const { amount, currency } = value as { amount: number; currency: string };
      return (quantity) => ({ status: "applied", discount: null, credit: { amount: amount * quantity, currency }, fulfillment: null });
    }
  }
}

