import type { Db, Executor, Scope } from "../../db/database.js";
import type { RedemptionStatus } from "../../db/tables/redemption.table.js";
import { notFound } from "../../errors.js";
import { paginate, type ListParams } from "../pagination.js";
import { serializeRedemption, type RedemptionRow } from "./serialize.js";

/** A discount code matches only while its redemption can still be used or has been used. */
export const LIVE_CODE_STATUSES: RedemptionStatus[] = ["pending", "applied"];

export async function findRedemption(db: Executor, scope: Scope, id: string): Promise<RedemptionRow | undefined> {
  return db
    .selectFrom("redemptions")
    .selectAll()
    .where("id", "=", id)
    .where("merchant_id", "=", scope.merchantId)
    .where("livemode", "=", scope.livemode)
    .executeTakeFirst();
}

export async function getRedemption(db: Executor, scope: Scope, id: string): Promise<RedemptionRow> {
  const row = await findRedemption(db, scope, id);
  if (!row) throw notFound("redemption", id);
  return row;
}

export interface RedemptionFilters {
  account?: string | undefined;
  status?: RedemptionStatus | undefined;
  reward?: string | undefined;
  code?: string | undefined;
}

export async function listRedemptions(db: Db, scope: Scope, params: ListParams & RedemptionFilters) {
  return paginate(
    params,
    async (id) => (await findRedemption(db, scope, id))?.seq,
    ({ bound, order, take }) => {
      let query = db
        .selectFrom("redemptions")
        .selectAll()
        .where("merchant_id", "=", scope.merchantId)
        .where("livemode", "=", scope.livemode);
      if (params.account !== undefined) query = query.where("account_id", "=", params.account);
      if (params.status !== undefined) query = query.where("status", "=", params.status);
      if (params.reward !== undefined) query = query.where("reward_id", "=", params.reward);
      if (params.code !== undefined) {
        // Codes are typed by people: match case-insensitively; voided codes no longer match.
        query = query.where("discount_code", "=", params.code.trim().toUpperCase()).where("status", "in", LIVE_CODE_STATUSES);
      }
      if (bound) query = query.where("seq", bound.op, bound.seq);
      return query.orderBy("seq", order).limit(take).execute();
    },
    serializeRedemption,
  );
}
