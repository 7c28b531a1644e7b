import { sql } from "kysely";
import type { Trx } from "../../db/database.js";
import { isApiError, type ApiError } from "../../errors.js";
import { refusedDebit } from "../ledger/ledger.js";
import { jsonOrNull as json, type CreatedRedemption, type PreparedRedemption } from "./create-redemption.js";

/**
 * Many creates in ONE statement — the set-based form of `createRedemption`'s statement, for a group
 * commit: every debit that can happen happens, and for exactly those the ledger rows, redemptions,
 * events and stored responses are written; a create whose debit cannot happen (account closed, not
 * found, short of points) writes nothing and gets its refusal back. One statement instead of one per
 * create is what keeps a group's transaction (and the account locks it holds) short.
 *
 * What it accepts, so that one UPDATE decides every debit exactly as one-by-one statements would:
 * - each account at most once (an UPDATE changes a row once per statement, so two debits of one
 *   account must run one after the other, earliest first);
 * - unlimited rewards only (an inventory take orders the reward's lock before the account's, and is
 *   undone by a savepoint on refusal);
 * - creates of stored requests (`idempotencyId` set): their responses are stored here too.
 * The caller has locked the accounts already, in the lock order.
 */
export async function createRedemptionsTogether(trx: Trx, creates: PreparedRedemption[]): Promise<(CreatedRedemption | ApiError)[]> {
  if (new Set(creates.map((c) => c.row.account_id)).size !== creates.length) throw new Error("createRedemptionsTogether: an account appears twice");
  if (creates.some((c) => c.reward.inventory !== null || c.row.idempotency_id === null)) throw new Error("createRedemptionsTogether: a limited reward or an unstored request");
  if (creates.length === 0) return [];

  const rows = creates.map((c) => c.row);
  const events = creates.flatMap((c) => c.events);
  // One statement text whatever the group's size: one column array per field.
  const { rows: debited } = await sql<{ id: string }>`
    WITH input AS (
      SELECT * FROM unnest(
        ${rows.map((r) => r.id)}::text[], ${rows.map((r) => r.merchant_id)}::text[], ${rows.map((r) => r.livemode)}::boolean[],
        ${rows.map((r) => r.account_id)}::text[], ${rows.map((r) => r.reward_id)}::text[], ${rows.map((r) => r.reward_type)}::text[],
        ${rows.map((r) => r.quantity)}::int[], ${rows.map((r) => r.points)}::bigint[], ${rows.map((r) => r.status)}::text[],
        ${rows.map((r) => json(r.discount))}::text[], ${rows.map((r) => r.discount_code)}::text[], ${rows.map((r) => json(r.credit))}::text[],
        ${rows.map((r) => json(r.fulfillment))}::text[], ${rows.map((r) => r.points_transaction_id)}::text[], ${creates.map((c) => c.debit.reason)}::text[],
        ${rows.map((r) => r.expires_at)}::timestamptz[], ${rows.map((r) => r.version)}::int[], ${rows.map((r) => JSON.stringify(r.metadata))}::text[],
        ${rows.map((r) => r.idempotency_id)}::text[], ${creates.map((c) => c.response.body)}::text[], ${rows.map((r) => r.created_at)}::timestamptz[]
      ) AS i (id, merchant_id, livemode, account_id, reward_id, reward_type, quantity, points, status, discount, discount_code, credit,
              fulfillment, points_transaction_id, reason, expires_at, version, metadata, idempotency_id, response_body, created_at)
    ),
    debit AS (
      UPDATE loyalty_accounts a SET balance = a.balance - i.points
      FROM input i
      WHERE a.id = i.account_id AND a.merchant_id = i.merchant_id AND a.livemode = i.livemode
        AND a.status = 'active' AND a.balance >= i.points
      RETURNING i.id, a.balance
    ),
    debited AS (SELECT i.*, debit.balance FROM input i JOIN debit USING (id)),
    ledger AS (
      INSERT INTO points_transactions (id, merchant_id, livemode, account_id, type, amount, balance_after, reason, redemption_id, metadata)
      SELECT points_transaction_id, merchant_id, livemode, account_id, 'redemption', -points, balance, reason, id, '{}'::jsonb FROM debited
    ),
    redemption AS (
      INSERT INTO redemptions (id, merchant_id, livemode, account_id, reward_id, reward_type, quantity, points, status, discount,
        discount_code, credit, fulfillment, payment_id, points_transaction_id, reversal, expires_at, version, metadata, idempotency_id,
        created_at, updated_at)
      SELECT id, merchant_id, livemode, account_id, reward_id, reward_type, quantity, points, status, discount::jsonb,
        discount_code, credit::jsonb, fulfillment::jsonb, NULL, points_transaction_id, NULL, expires_at, version, metadata::jsonb, idempotency_id,
        created_at, created_at
      FROM debited
    ),
    event AS (
      INSERT INTO events (id, merchant_id, livemode, type, redemption_id, version, payload, created_at)
      SELECT e.* FROM unnest(
        ${events.map((e) => e.id)}::text[], ${events.map((e) => e.merchant_id)}::text[], ${events.map((e) => e.livemode)}::boolean[],
        ${events.map((e) => e.type)}::text[], ${events.map((e) => e.redemption_id)}::text[], ${events.map((e) => e.version)}::int[],
        ${events.map((e) => e.payload)}::text[], ${events.map((e) => e.created_at)}::timestamptz[]
      ) AS e (id, merchant_id, livemode, type, redemption_id, version, payload, created_at)
      WHERE e.redemption_id IN (SELECT id FROM debit)
    ),
    completed AS (
      UPDATE idempotency_keys k SET status = 'completed', response_status = 201, response_body = d.response_body, completed_at = d.created_at
      FROM debited d WHERE k.id = d.idempotency_id
    )
    SELECT id FROM debit`.execute(trx);

  const done = new Set(debited.map((row) => row.id));
  const results: (CreatedRedemption | ApiError)[] = [];
  for (const create of creates) {
    if (done.has(create.row.id)) results.push({ redemption: create.redemption, response: create.response, requestCompleted: true });
    // Rare (a refusal): one read of the account says why, as the one-by-one statement would.
    else results.push(await refusal(trx, create));
  }
  return results;
}

/** Why a debit did not happen: the account is closed or short of points (returned), or not found (thrown). */
async function refusal(trx: Trx, create: PreparedRedemption): Promise<ApiError> {
  try {
    return await refusedDebit(trx, create.scope, create.debit);
  } catch (error) {
    if (isApiError(error) && error.status < 500) return error;
    throw error;
  }
}
