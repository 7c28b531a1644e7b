import type { Selectable } from "kysely";
import type { Db, Executor, Scope, Trx } from "../../db/database.js";
import type { LoyaltyAccountTable, Metadata } from "../../db/tables/account.table.js";
import { ApiError, notFound } from "../../errors.js";
import { newId } from "../../ids.js";
import { paginate, unixSeconds, type ListParams } from "../pagination.js";

export type AccountRow = Selectable<LoyaltyAccountTable>;

export function serializeAccount(row: AccountRow) {
  return {
    id: row.id,
    object: "loyalty_account" as const,
    customer: row.customer,
    status: row.status,
    balance: row.balance,
    lifetime_points: row.lifetime_points,
    metadata: row.metadata,
    livemode: row.livemode,
    created: unixSeconds(row.created_at),
  };
}

export async function createAccount(trx: Trx, scope: Scope, input: { customer?: string | undefined; metadata?: Metadata | undefined }) {
  const row = await trx
    .insertInto("loyalty_accounts")
    .values({
      id: newId("account"),
      merchant_id: scope.merchantId,
      livemode: scope.livemode,
      customer: input.customer ?? null,
      status: "active",
      metadata: JSON.stringify(input.metadata ?? {}),
      closed_at: null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return serializeAccount(row);
}

export async function findAccount(db: Executor, scope: Scope, id: string): Promise<AccountRow | undefined> {
  return db
    .selectFrom("loyalty_accounts")
    .selectAll()
    .where("id", "=", id)
    .where("merchant_id", "=", scope.merchantId)
    .where("livemode", "=", scope.livemode)
    .executeTakeFirst();
}

export async function getAccount(db: Executor, scope: Scope, id: string, param?: string): Promise<AccountRow> {
  const row = await findAccount(db, scope, id);
  if (!row) throw notFound("loyalty account", id, param);
  return row;
}

/** Closing is idempotent: closing a closed account returns it unchanged. The balance stays on record. */
export async function closeAccount(trx: Trx, scope: Scope, id: string) {
  const row = await trx
    .updateTable("loyalty_accounts")
    .set({ status: "closed", closed_at: new Date() })
    .where("id", "=", id)
    .where("merchant_id", "=", scope.merchantId)
    .where("livemode", "=", scope.livemode)
    .where("status", "=", "active")
    .returningAll()
    .executeTakeFirst();
  return serializeAccount(row ?? (await getAccount(trx, scope, id)));
}

export async function listAccounts(db: Db, scope: Scope, params: ListParams & { customer?: string | undefined }) {
  return paginate(
    params,
    async (id) => (await findAccount(db, scope, id))?.seq,
    ({ bound, order, take }) => {
      let query = db
        .selectFrom("loyalty_accounts")
        .selectAll()
        .where("merchant_id", "=", scope.merchantId)
        .where("livemode", "=", scope.livemode);
      if (params.customer !== undefined) query = query.where("customer", "=", params.customer);
      if (bound) query = query.where("seq", bound.op, bound.seq);
      return query.orderBy("seq", order).limit(take).execute();
    },
    serializeAccount,
  );
}

export const accountClosed = (id: string) =>
  new ApiError("account_closed", `Loyalty account '${id}' is closed.`, "account");
