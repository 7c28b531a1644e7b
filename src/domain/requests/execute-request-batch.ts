import { sql } from "kysely";
import type { Trx, Db } from "../../db/database.js";
import { inTransaction } from "../../db/transaction.js";
import { isApiError } from "../../errors.js";
import type { Logger } from "../../logger.js";
import { isOutage } from "../../ops/outages.js";
import { createRedemption, prepareRedemption, type CreateRedemptionParams, type PreparedRedemption } from "../redemptions/create-redemption.js";
import { createRedemptionsTogether } from "../redemptions/create-redemptions-together.js";
import type { RewardRow } from "../rewards/rewards.js";
import { executePendingRequest, type ExecutionOutcome } from "./execute-pending-request.js";
import { cancelPendingRequest, completeRequest } from "./requests.js";

export type RequestRunResult = { ok: true; outcome: ExecutionOutcome } | { ok: false; error: unknown };

interface Settings {
  pendingTtlSeconds: number;
  logger?: Logger;
}

const BY_ID = sql`id COLLATE "C"`;

/**
 * Runs stored requests, many creates in ONE transaction (group commit): one BEGIN, one lock of all the
 * request rows, one read of their rewards, one lock of their accounts, one set-based statement for the
 * creates of distinct accounts and unlimited rewards (one statement each for the others), one COMMIT.
 * Each request still stands alone: a refusal (insufficient points, out of stock) is stored as its
 * outcome and changes nothing else; every request commits with its effect or not at all.
 *
 * If the group cannot commit — a request missed its deadline at COMMIT, a discount code collided, a
 * value Postgres refused, a deadlock — nothing of it happened, and each request runs alone
 * (`executePendingRequest`), which has the precise answer to each of those. Requests the group does not
 * take (other operations, rows no longer pending, a lone request) run alone too.
 */
export async function executePendingRequests(db: Db, ids: string[], settings: Settings): Promise<Map<string, RequestRunResult>> {
  const results = new Map<string, RequestRunResult>();
  const unique = [...new Set(ids)];
  if (unique.length > 1) {
    try {
      const grouped = await inTransaction(db, (trx) => runCreatesTogether(trx, unique, settings), 2);
      for (const [id, outcome] of grouped) results.set(id, { ok: true, outcome });
    } catch (error) {
      // Postgres away: running alone would fail the same way; the job is retried.
      if (isOutage(error)) return new Map(unique.map((id) => [id, { ok: false, error }]));
      settings.logger?.info({ err: error, requests: unique.length }, "group commit failed; running its requests one by one");
    }
  }
  for (const id of unique) {
    if (results.has(id)) continue;
    try {
      results.set(id, { ok: true, outcome: await executePendingRequest(db, id, settings) });
    } catch (error) {
      results.set(id, { ok: false, error });
    }
  }
  return results;
}

/**
 * The group's transaction. Locks follow the lock order (locks.ts): the request rows in id order, then
 * the limited rewards in id order, then the accounts in id order — taken up front, so two groups (or a
 * group and a settlement) never wait for each other in a cycle, whatever order their requests came in.
 */
async function runCreatesTogether(trx: Trx, ids: string[], settings: Settings): Promise<Map<string, ExecutionOutcome>> {
  const outcomes = new Map<string, ExecutionOutcome>();
  const rows = await trx
    .selectFrom("idempotency_keys")
    .select(["id", "merchant_id", "livemode", "params", "request_id"])
    .select(sql<boolean>`deadline_at IS NOT NULL AND deadline_at <= clock_timestamp()`.as("overdue"))
    .where("id", "=", sql<string>`ANY(${ids}::text[])`)
    .where("status", "=", "pending")
    .where("operation", "=", "redemption.create")
    .orderBy(BY_ID)
    .forUpdate()
    .execute();
  const live: LiveCreate[] = [];
  for (const row of rows) {
    // Past its deadline: its client has been or is being answered 503, so it must not happen.
    if (row.overdue) {
      await cancelPendingRequest(trx, row.id);
      outcomes.set(row.id, { outcome: "nothing_to_do" });
    } else {
      live.push({ ...row, params: row.params as unknown as CreateRedemptionParams });
    }
  }
  if (live.length === 0) return outcomes;

  const rewards = await readRewards(trx, live.map((row) => row.params.reward));
  const rewardOf = (row: LiveCreate) => {
    const reward = rewards.get(row.params.reward);
    // Another merchant's (or mode's) reward is not found: `createRedemption` reads it and says so.
    return reward && reward.merchant_id === row.merchant_id && reward.livemode === row.livemode ? reward : undefined;
  };
  const limited = [...new Set(live.map(rewardOf).filter((reward) => reward !== undefined && reward.inventory !== null).map((reward) => reward!.id))];
  if (limited.length > 0) await lockRows(trx, "rewards", limited);
  await lockRows(trx, "loyalty_accounts", [...new Set(live.map((row) => row.params.account))]);

  // In the order the requests were stored: a balance that runs out serves the earliest first.
  const ordered = live.sort((a, b) => ids.indexOf(a.id) - ids.indexOf(b.id));
  const perAccount = new Map<string, number>();
  for (const row of ordered) perAccount.set(row.params.account, (perAccount.get(row.params.account) ?? 0) + 1);
  // The common create — the only one of its account in the group, of an unlimited reward — goes into
  // one set-based statement with the others like it; the rest run one statement each, in order.
  const together: { row: LiveCreate; prepared: PreparedRedemption }[] = [];
  const alone: LiveCreate[] = [];
  for (const row of ordered) {
    const reward = rewardOf(row);
    if (!reward || reward.inventory !== null || perAccount.get(row.params.account)! > 1) {
      alone.push(row);
      continue;
    }
    try {
      together.push({ row, prepared: prepareRedemption(scopeOf(row), row.params, reward, { pendingTtlSeconds: settings.pendingTtlSeconds, idempotencyId: row.id }) });
    } catch (error) {
      outcomes.set(row.id, await storeRefusal(trx, row, error));
    }
  }
  const results = await createRedemptionsTogether(trx, together.map((create) => create.prepared));
  for (const [index, { row }] of together.entries()) {
    const result = results[index]!;
    outcomes.set(row.id, result instanceof Error ? await storeRefusal(trx, row, result) : completed(result.response));
  }

  for (const row of alone) {
    const reward = rewardOf(row);
    // A limited reward's create takes the inventory before it learns whether the debit succeeds: its
    // savepoint undoes the take on a refusal. Any other create writes nothing when it is refused.
    const needsSavepoint = reward?.inventory !== null && reward !== undefined;
    try {
      if (needsSavepoint) await sql`SAVEPOINT create_one`.execute(trx);
      const created = await createRedemption(trx, scopeOf(row), row.params, { pendingTtlSeconds: settings.pendingTtlSeconds, idempotencyId: row.id, reward });
      if (needsSavepoint) await sql`RELEASE SAVEPOINT create_one`.execute(trx);
      outcomes.set(row.id, completed(created.response));
    } catch (error) {
      if (needsSavepoint && isApiError(error) && error.status < 500) {
        await sql`ROLLBACK TO SAVEPOINT create_one`.execute(trx);
        await sql`RELEASE SAVEPOINT create_one`.execute(trx);
      }
      outcomes.set(row.id, await storeRefusal(trx, row, error));
    }
  }
  return outcomes;
}

const scopeOf = (row: LiveCreate) => ({ merchantId: row.merchant_id, livemode: row.livemode });
const completed = (response: { status: number; body: string }): ExecutionOutcome => ({ outcome: "completed", ...response });

/** A refusal (4xx) is the request's outcome, stored in the group's transaction; anything else fails the group. */
async function storeRefusal(trx: Trx, row: LiveCreate, error: unknown): Promise<ExecutionOutcome> {
  if (!isApiError(error) || error.status >= 500) throw error;
  const response = { status: error.status, body: JSON.stringify(error.body(row.request_id)) };
  await completeRequest(trx, row.id, response);
  return completed(response);
}

interface LiveCreate {
  id: string;
  merchant_id: string;
  livemode: boolean;
  request_id: string;
  params: CreateRedemptionParams;
}

async function readRewards(trx: Trx, ids: string[]): Promise<Map<string, RewardRow>> {
  const rows = await trx.selectFrom("rewards").selectAll().where("id", "=", sql<string>`ANY(${[...new Set(ids)]}::text[])`).execute();
  return new Map(rows.map((row) => [row.id, row]));
}

/** FOR NO KEY UPDATE: the lock the debit's and the take's UPDATEs take anyway (see lockCreditTargets). */
async function lockRows(trx: Trx, table: "rewards" | "loyalty_accounts", ids: string[]): Promise<void> {
  await trx.selectFrom(table).select("id").where("id", "=", sql<string>`ANY(${ids}::text[])`).orderBy(BY_ID).forNoKeyUpdate().execute();
}
