import { z } from "zod";
import type { Scope, Trx } from "../../db/database.js";
import { fulfillRedemption, reverseRedemption } from "../redemptions/lifecycle.js";
import type { RedemptionRow } from "../redemptions/serialize.js";
import type { RuleOutcome } from "./payment-rules.js";
import { forEachReferencedRedemption, summarise } from "./resolve.js";

const shipmentObject = z.object({
  redemption: z.string().min(1).max(64),
  tracking: z.string().max(200).nullish(),
  carrier: z.string().max(100).nullish(),
  shipped_at: z.number().int().positive().optional(),
});
type Shipment = z.infer<typeof shipmentObject>;

const KNOWN = new Set(["shipment.shipped", "shipment.returned", "shipment.canceled", "shipment.cancelled"]);

/**
 * Warehouse events (docs/api.md §5) act on free-product redemptions only. A return reverses before or after
 * shipping; a cancellation only before (a shipped parcel comes back as a return).
 */
export async function applyWarehouseEvent(trx: Trx, scope: Scope, type: string, object: unknown, sentAt: Date): Promise<RuleOutcome> {
  if (!KNOWN.has(type)) return { outcome: "ignored", results: [] };
  const parsed = shipmentObject.safeParse(object);
  if (!parsed.success) return { outcome: "invalid_payload", results: [] };
  const shipment = parsed.data;

  const results = await forEachReferencedRedemption(trx, scope, [{ redemption: shipment.redemption }], async (row) => {
    if (row.reward_type !== "free_product") return "not_a_shipment";
    if (type === "shipment.shipped") return shipped(trx, row, shipment, sentAt);
    if (row.status === "reversed") return "already_reversed";
    const legal = type === "shipment.returned" ? (["fulfillment_pending", "fulfilled"] as const) : (["fulfillment_pending"] as const);
    return (await reverseRedemption(trx, row, "item_returned", legal)).ok ? "reversed" : "invalid_state_transition";
  });
  return { outcome: summarise(results), results };
}

/**
 * What `applyWarehouseEvent` comes to for an event that cannot touch a redemption (a type we ignore,
 * an object we cannot read), decided without a transaction; null when it must be applied under a lock.
 */
export function warehouseEventWithoutEffect(type: string, object: unknown): RuleOutcome | null {
  if (!KNOWN.has(type)) return { outcome: "ignored", results: [] };
  return shipmentObject.safeParse(object).success ? null : { outcome: "invalid_payload", results: [] };
}

async function shipped(trx: Trx, row: RedemptionRow, shipment: Shipment, sentAt: Date): Promise<string> {
  if (row.status === "fulfilled") return "already_fulfilled";
  const shippedAt = shipment.shipped_at ? new Date(shipment.shipped_at * 1000) : sentAt;
  const result = await fulfillRedemption(trx, row, { tracking: shipment.tracking ?? null, carrier: shipment.carrier ?? null, shippedAt });
  return result.ok ? "fulfilled" : "invalid_state_transition";
}
