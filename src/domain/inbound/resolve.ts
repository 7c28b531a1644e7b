import type { Scope, Trx } from "../../db/database.js";
import type { InboundResult } from "../../db/tables/inbound-webhook.table.js";
import type { RedemptionRow } from "../redemptions/serialize.js";
import { lockRedemption } from "../redemptions/transition.js";

export type RedemptionRef = { redemption: string } | { code: string };

export const refText = (ref: RedemptionRef) => ("redemption" in ref ? ref.redemption : ref.code);

/**
 * Resolves references (by id, or by discount code whatever its status: a completion that quotes a
 * voided code must still be recognised as a conflict) within the event's merchant and mode, then
 * handles each redemption once, locked, in id order — two events naming the same redemptions in
 * different orders cannot deadlock. Unknown references are recorded as `unmatched`.
 */
export async function forEachReferencedRedemption(
  trx: Trx,
  scope: Scope,
  refs: RedemptionRef[],
  handle: (row: RedemptionRow) => Promise<string>,
): Promise<InboundResult[]> {
  const resolved = await Promise.all(refs.map(async (ref) => ({ ref: refText(ref), id: await resolveId(trx, scope, ref) })));
  const ids = [...new Set(resolved.flatMap((item) => (item.id ? [item.id] : [])))].sort();
  const outcomes = new Map<string, string>();
  for (const id of ids) {
    const row = await lockRedemption(trx, id, scope);
    outcomes.set(id, row ? await handle(row) : "unmatched");
  }
  return resolved.map(({ ref, id }) => ({ ref, redemption: id, outcome: id ? outcomes.get(id)! : "unmatched" }));
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
