import { html } from "hono/html";
import type { InboundResult } from "../../db/tables/inbound-webhook.table.js";
import type { Html } from "./layout.js";

type Tone = "ok" | "bad" | "";

/**
 * What processing an inbound webhook did, in words (the stored codes are in payment-rules.ts,
 * warehouse-rules.ts and resolve.ts). The code stays on the element (`data-outcome`) for tests and for
 * anyone matching it against the API's docs; an unknown code is shown as it is.
 */
const RESULT_LABELS: Record<string, [string, Tone]> = {
  linked: ["Linked to the payment", "ok"],
  already_linked: ["Already linked to this payment", ""],
  applied: ["Applied: the discount was used", "ok"],
  already_applied: ["Already applied", ""],
  released: ["Released: points back to the member", ""],
  already_released: ["Already released", ""],
  fulfilled: ["Fulfilled: shipped", "ok"],
  already_fulfilled: ["Already fulfilled", ""],
  reversed: ["Reversed: item returned, points back", ""],
  already_reversed: ["Already reversed", ""],
  unmatched: ["Unmatched: no redemption here with this id or code", "bad"],
  not_a_discount: ["Ignored: not a discount redemption", ""],
  not_a_shipment: ["Ignored: not a product redemption", ""],
  not_pending: ["Ignored: no longer pending", ""],
  ignored_other_payment: ["Ignored: linked to another payment", ""],
  ignored_already_applied: ["Ignored: already applied, a completed payment cannot be canceled", ""],
  currency_mismatch: ["Settlement conflict: the payment's currency is not the discount's; left pending", "bad"],
  amount_below_discount: ["Settlement conflict: the payment's amount is below the discount; left pending", "bad"],
  settlement_conflict: ["Settlement conflict: completed after the redemption was released or reversed", "bad"],
  invalid_state_transition: ["Refused: the redemption's status does not allow it", "bad"],
};

const CONFLICTS = new Set(["currency_mismatch", "amount_below_discount", "settlement_conflict"]);

const OUTCOME_LABELS: Record<string, [string, Tone]> = {
  processed: ["Processed", "ok"],
  ignored: ["Ignored: event type not handled", ""],
  unmatched: ["Unmatched: names no redemption here", "bad"],
  invalid_payload: ["Invalid payload: not processed", "bad"],
};

const label = (code: string, text: string, tone: Tone): Html => html`<span class="st${tone ? ` ${tone}` : ""}" data-outcome="${code}">${text}</span>`;

export const resultLabel = (code: string): Html => {
  const [text, tone] = RESULT_LABELS[code] ?? [code.replaceAll("_", " "), ""];
  return label(code, text, tone);
};

/** The row's overall outcome; a processed event with a settlement conflict says so. */
export function inboundOutcomeLabel(row: { outcome: string | null; results: InboundResult[] | null; failed_at: Date | null; last_error: string | null; attempts: number }): Html {
  if (row.failed_at) return html`${label("dead_lettered", "Dead-lettered: processing kept failing", "bad")} <span class="muted">${row.last_error ?? ""}</span>`;
  if (row.outcome === null) return label("processing", `Processing${row.attempts ? ` (${row.attempts} failed run${row.attempts === 1 ? "" : "s"})` : ""}`, "");
  const conflicts = (row.results ?? []).filter((result) => CONFLICTS.has(result.outcome)).length;
  if (row.outcome === "processed" && conflicts > 0) return label("processed", `Processed, with ${conflicts === 1 ? "a settlement conflict" : `${conflicts} settlement conflicts`}`, "bad");
  const [text, tone] = OUTCOME_LABELS[row.outcome] ?? [row.outcome.replaceAll("_", " "), ""];
  return label(row.outcome, text, tone);
}
