import { sql } from "kysely";
import type { Scope, Trx } from "../../db/database.js";
import type { RedemptionRow } from "./serialize.js";

/**
 * The lock order (docs/guarantees.md, "Lock order"). Every transaction that moves points or stock takes
 * its row locks in this order, so no two can wait for each other in a cycle:
 *
 *   1. its own request or inbox rows (idempotency_keys / inbound_webhooks), in id order: nobody else's;
 *   2. existing redemptions, in id order;
 *   3. rewards, in id order;
 *   4. loyalty accounts, in id order;
 *   then inserts (ledger rows, events, a new redemption): rows and unique-index keys no other
 *   transaction can be waiting for, as they belong to a redemption this one holds or creates.
 *
 * A group commit of creates takes 1, then 3 (limited rewards), then 4 for all its creates up front.
 * Create is 1 → 3 → 4 in its one statement (the debit's WHERE needs the inventory take's result, so the
 * reward is updated before the account is). A single transition is 2 → 3 → 4 by construction
 * (`applyTransition`: inventory, then balance). What needs care is an event naming several redemptions:
 * a credit-back per redemption would go reward A → account → reward B, and a create on reward B (B →
 * account) closes the cycle. So such events lock every redemption first, then every reward, then every
 * account, before changing anything.
 *
 * "id order" is byte order (COLLATE "C"), the same whatever the database's collation; ids are mixed-case.
 */
const BY_ID = sql`id COLLATE "C"`;

/** Locks one redemption (FOR UPDATE) for the rest of the caller's transaction. */
export async function lockRedemption(trx: Trx, id: string, scope?: Scope): Promise<RedemptionRow | undefined> {
  let query = trx.selectFrom("redemptions").selectAll().where("id", "=", id);
  if (scope) query = query.where("merchant_id", "=", scope.merchantId).where("livemode", "=", scope.livemode);
  return query.forUpdate().executeTakeFirst();
}

/** Locks several redemptions of the scope in one statement, in id order (LockRows sits above the sort). */
export async function lockRedemptions(trx: Trx, scope: Scope, ids: string[]): Promise<Map<string, RedemptionRow>> {
  if (ids.length === 0) return new Map();
  const rows = await trx
    .selectFrom("redemptions")
    .selectAll()
    .where("id", "in", ids)
    .where("merchant_id", "=", scope.merchantId)
    .where("livemode", "=", scope.livemode)
    .orderBy(BY_ID)
    .forUpdate()
    .execute();
  return new Map(rows.map((row) => [row.id, row]));
}

/**
 * Locks the rewards, then the accounts, that credit-backs of `rows` would update, each in id order.
 * FOR NO KEY UPDATE is the lock the later UPDATEs take anyway; it does not block creates' foreign-key
 * checks (FOR KEY SHARE) on those rows, where FOR UPDATE would, and a create holding its account
 * while checking its reward would then close a cycle.
 */
export async function lockCreditTargets(trx: Trx, rows: RedemptionRow[]): Promise<void> {
  // A single credit-back takes its reward, then its account, by itself: two round trips saved.
  if (rows.length < 2) return;
  const rewards = [...new Set(rows.map((row) => row.reward_id))];
  const accounts = [...new Set(rows.map((row) => row.account_id))];
  await trx.selectFrom("rewards").select("id").where("id", "in", rewards).orderBy(BY_ID).forNoKeyUpdate().execute();
  await trx.selectFrom("loyalty_accounts").select("id").where("id", "in", accounts).orderBy(BY_ID).forNoKeyUpdate().execute();
}
