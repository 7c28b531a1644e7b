import type { Scope, Trx } from "../../db/database.js";
import type { InboundResult } from "../../db/tables/inbound-webhook.table.js";
import type { RedemptionRow } from "../redemptions/serialize.js";
import { lockCreditTargets, lockRedemptions } from "../redemptions/locks.js";

export type RedemptionRef = { redemption: string } | { code: string };

export const refText = (ref: RedemptionRef) => ("redemption" in ref ? ref.redemption : ref.code);

/**
 * Resolves references (by id, or by discount code whatever its status: a completion that quotes a
 * voided code must still be recognised as a conflict) within the event's merchant and mode, then
 * handles each redemption once, locked. Unknown references are recorded as `unmatched`.
 *
 * Locks follow the lock order (locks.ts): every named redemption first, in id order, then — when the
 * event may give points back to several (`mayCredit` says to which) — every reward and account those
 * credit-backs touch, before any row changes. Handling them one by one would lock reward A, the
 * account, then reward B: a create on B, holding B and waiting for the account, would deadlock with it.
 */
export async function forEachReferencedRedemption(
  trx: Trx,
  scope: Scope,
  refs: RedemptionRef[],
  handle: (row: RedemptionRow) => Promise<string>,
  mayCredit?: (row: RedemptionRow) => boolean,
): Promise<InboundResult[]> {
  const resolved = await Promise.all(refs.map(async (ref) => ({ ref: refText(ref), id: await resolveId(trx, scope, ref) })));
  const locked = await lockRedemptions(trx, scope, [...new Set(resolved.flatMap((item) => (item.id ? [item.id] : [])))]);
  if (mayCredit) await lockCreditTargets(trx, [...locked.values()].filter(mayCredit));
  const outcomes = new Map<string, string>();
  // In id order: the map keeps the order the rows were locked in.
  for (const [id, row] of locked) outcomes.set(id, await handle(row));
  return resolved.map(({ ref, id }) => ({ ref, redemption: id, outcome: id ? (outcomes.get(id) ?? "unmatched") : "unmatched" }));
}

async function resolveId(trx: Trx, scope: Scope, ref: RedemptionRef): Promise<string | null> {
  let query = trx
    .selectFrom("redemptions")
    .select("id")
    .where("merchant_id", "=", scope.merchantId)
    .where("livemode", "=", scope.livemode);
  query =
    "redemption" in ref ? query.where("id", "=", ref.redemption) : query.where("discount_code", "=", ref.code.trim().toUpperCase());
  return (await query.executeTakeFirst())?.id ?? null;
}

/** Overall outcome of an event: `unmatched` when nothing it named exists here. */
export function summarise(results: InboundResult[]): string {
  if (results.length === 0) return "ignored";
  return results.every((result) => result.outcome === "unmatched") ? "unmatched" : "processed";
}
