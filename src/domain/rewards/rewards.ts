import type { Selectable } from "kysely";
import type { Db, Executor, Scope, Trx } from "../../db/database.js";
import type { Metadata } from "../../db/tables/account.table.js";
import type { RewardTable, RewardType, RewardValue } from "../../db/tables/reward.table.js";
import { notFound } from "../../errors.js";
import { newId } from "../../ids.js";
import { paginate, unixSeconds, type ListParams } from "../pagination.js";

export type RewardRow = Selectable<RewardTable>;

export function serializeReward(row: RewardRow) {
  return {
    id: row.id,
    object: "reward" as const,
    name: row.name,
    type: row.type,
    cost: row.cost,
    value: row.value,
    active: row.active,
    inventory: row.inventory,
    metadata: row.metadata,
    livemode: row.livemode,
    created: unixSeconds(row.created_at),
  };
}

export interface RewardInput {
  name: string;
  type: RewardType;
  cost: number;
  value: RewardValue;
  active?: boolean | undefined;
  inventory?: number | null | undefined;
  metadata?: Metadata | undefined;
}

export async function createReward(trx: Trx, scope: Scope, input: RewardInput) {
  const row = await trx
    .insertInto("rewards")
    .values({
      id: newId("reward"),
      merchant_id: scope.merchantId,
      livemode: scope.livemode,
      name: input.name,
      type: input.type,
      cost: input.cost,
      value: JSON.stringify(input.value),
      active: input.active ?? true,
      inventory: input.inventory ?? null,
      metadata: JSON.stringify(input.metadata ?? {}),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return serializeReward(row);
}

export async function findReward(db: Executor, scope: Scope, id: string): Promise<RewardRow | undefined> {
  return db
    .selectFrom("rewards")
    .selectAll()
    .where("id", "=", id)
    .where("merchant_id", "=", scope.merchantId)
    .where("livemode", "=", scope.livemode)
    .executeTakeFirst();
}

export async function getReward(db: Executor, scope: Scope, id: string, param?: string): Promise<RewardRow> {
  const row = await findReward(db, scope, id);
  if (!row) throw notFound("reward", id, param);
  return row;
}

/** Type, cost and value are fixed after creation: existing redemptions were priced by them. */
export async function updateReward(
  trx: Trx,
  scope: Scope,
  id: string,
  patch: { name?: string | undefined; active?: boolean | undefined; inventory?: number | null | undefined; metadata?: Metadata | undefined },
) {
  const changes = Object.fromEntries(
    Object.entries({
      name: patch.name,
      active: patch.active,
      inventory: patch.inventory,
      metadata: patch.metadata === undefined ? undefined : JSON.stringify(patch.metadata),
    }).filter(([, value]) => value !== undefined),
  );
  if (Object.keys(changes).length === 0) return serializeReward(await getReward(trx, scope, id));
  const row = await trx
    .updateTable("rewards")
    .set({ ...changes, updated_at: new Date() })
    .where("id", "=", id)
    .where("merchant_id", "=", scope.merchantId)
    .where("livemode", "=", scope.livemode)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw notFound("reward", id);
  return serializeReward(row);
}

export async function listRewards(db: Db, scope: Scope, params: ListParams & { active?: boolean | undefined }) {
  return paginate(
    params,
    async (id) => (await findReward(db, scope, id))?.seq,
    ({ bound, order, take }) => {
      let query = db
        .selectFrom("rewards")
        .selectAll()
        .where("merchant_id", "=", scope.merchantId)
        .where("livemode", "=", scope.livemode);
      if (params.active !== undefined) query = query.where("active", "=", params.active);
      if (bound) query = query.where("seq", bound.op, bound.seq);
      return query.orderBy("seq", order).limit(take).execute();
    },
    serializeReward,
  );
}
