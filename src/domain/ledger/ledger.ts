import type { Insertable, Selectable } from "kysely";
import type { Db, Scope, Trx } from "../../db/database.js";
import type { Metadata } from "../../db/tables/account.table.js";
import type { PointsTransactionTable, PointsTransactionType } from "../../db/tables/points-transaction.table.js";
import { ApiError } from "../../errors.js";
import { newId } from "../../ids.js";
import { accountClosed, getAccount } from "../accounts/accounts.js";
import { paginate, unixSeconds, type ListParams } from "../pagination.js";

export type PointsTransactionRow = Selectable<PointsTransactionTable>;

/**
 * The most points a balance or an account's lifetime total may hold: the accounts table's CHECK
 * (`< 9007199254740991`, migrations/2026_11_25_000100_create_core_tables.ts), which keeps every points
 * figure an exact JavaScript number. A credit past it is refused (422) before Postgres would.
 */
export const MAX_POINTS = Number.MAX_SAFE_INTEGER - 1;

export function serializePointsTransaction(row: PointsTransactionRow) {
  return {
    id: row.id,
    object: "points_transaction" as const,
    account: row.account_id,
    type: row.type,
    amount: row.amount,
    balance_after: row.balance_after,
    reason: row.reason,
    redemption: row.redemption_id,
    metadata: row.metadata,
    livemode: row.livemode,
    created: unixSeconds(row.created_at),
  };
}

export interface PointsEntry {
  accountId: string;
  type: PointsTransactionType;
  /** Signed: negative debits. */
  amount: number;
  reason: string | null;
  redemptionId?: string | null;
  metadata?: Metadata;
  /** Param name to blame in errors about the account. */
  accountParam?: string;
}

/**
 * Moves points and writes the ledger row in the caller's transaction. The balance changes only
 * through one conditional UPDATE (`balance + amount >= 0`), so concurrent debits serialise on the
 * account row and can never overdraw it; the CHECK constraint is the last line of defence.
 *
 * Awards and debits need an active account. Credit-backs (release, reversal) return points even to
 * a closed account: the member is owed them whatever the account's state.
 */
export async function postPointsEntry(trx: Trx, scope: Scope, entry: PointsEntry): Promise<PointsTransactionRow> {
  const balanceAfter = await moveBalance(trx, scope, entry);
  return trx.insertInto("points_transactions").values(ledgerRow(scope, entry, balanceAfter)).returningAll().executeTakeFirstOrThrow();
}

/** The balance half of a ledger entry: the conditional UPDATE, returning the new balance. */
async function moveBalance(trx: Trx, scope: Scope, entry: PointsEntry): Promise<number> {
  const { amount } = entry;
  const needsActive = entry.type === "earn" || amount < 0;
  let update = trx
    .updateTable("loyalty_accounts")
    .set((eb) => ({
      balance: eb("balance", "+", amount),
      lifetime_points: entry.type === "earn" ? eb("lifetime_points", "+", amount) : eb.ref("lifetime_points"),
    }))
    .where("id", "=", entry.accountId)
    .where("merchant_id", "=", scope.merchantId)
    .where("livemode", "=", scope.livemode);
  if (needsActive) update = update.where("status", "=", "active");
  if (amount < 0) update = update.where("balance", ">=", -amount);
  // The bound in the same conditional UPDATE: concurrent credits serialise on the row, so none can pass it.
  if (amount > 0) update = update.where("balance", "<=", MAX_POINTS - amount);
  if (amount > 0 && entry.type === "earn") update = update.where("lifetime_points", "<=", MAX_POINTS - amount);
  const updated = await update.returning("balance").executeTakeFirst();

  if (!updated) throw await refusedDebit(trx, scope, entry);
  return updated.balance;
}

/** Why a conditional balance update matched no row, as the precise API error (nothing was written). */
export async function refusedDebit(trx: Trx, scope: Scope, entry: PointsEntry): Promise<ApiError> {
  const account = await getAccount(trx, scope, entry.accountId, entry.accountParam ?? "account");
  const needsActive = entry.type === "earn" || entry.amount < 0;
  if (needsActive && account.status !== "active") return accountClosed(account.id);
  if (entry.amount > 0) {
    return new ApiError(
      "balance_limit_exceeded",
      `Loyalty account '${account.id}' would hold more than ${MAX_POINTS} points (balance ${account.balance}, lifetime ${account.lifetime_points}).`,
      entry.accountParam === undefined ? "amount" : undefined,
    );
  }
  return new ApiError(
    "insufficient_points",
    `Loyalty account '${account.id}' has ${account.balance} points; ${-entry.amount} needed.`,
    entry.accountParam === undefined ? "amount" : undefined,
  );
}

function ledgerRow(scope: Scope, entry: PointsEntry, balanceAfter: number): Insertable<PointsTransactionTable> {
  return {
    id: newId("pointsTransaction"),
    merchant_id: scope.merchantId,
    livemode: scope.livemode,
    account_id: entry.accountId,
    type: entry.type,
    amount: entry.amount,
    balance_after: balanceAfter,
    reason: entry.reason,
    redemption_id: entry.redemptionId ?? null,
    metadata: JSON.stringify(entry.metadata ?? {}),
  };
}

/** REST award/deduction: positive amounts are `earn`, negative ones `adjustment`. */
export async function createManualTransaction(
  trx: Trx,
  scope: Scope,
  input: { account: string; amount: number; reason: string; metadata?: Metadata | undefined },
) {
  const row = await postPointsEntry(trx, scope, {
    accountId: input.account,
    type: input.amount > 0 ? "earn" : "adjustment",
    amount: input.amount,
    reason: input.reason,
    metadata: input.metadata ?? {},
  });
  return serializePointsTransaction(row);
}

export async function listPointsTransactions(
  db: Db,
  scope: Scope,
  params: ListParams & { account?: string | undefined; type?: PointsTransactionType | undefined },
) {
  const scoped = () =>
    db.selectFrom("points_transactions").where("merchant_id", "=", scope.merchantId).where("livemode", "=", scope.livemode);
  return paginate(
    params,
    async (id) => (await scoped().select("seq").where("id", "=", id).executeTakeFirst())?.seq,
    ({ bound, order, take }) => {
      let query = scoped().selectAll();
      if (params.account !== undefined) query = query.where("account_id", "=", params.account);
      if (params.type !== undefined) query = query.where("type", "=", params.type);
      if (bound) query = query.where("seq", bound.op, bound.seq);
      return query.orderBy("seq", order).limit(take).execute();
    },
    serializePointsTransaction,
  );
}
