import { sql } from "kysely";
import type { InvariantCheck } from "./checks.js";

/**
 * Invariant 6: every accepted inbound webhook was processed exactly once, by effect, however often it
 * arrived. Arrivals are deduplicated by the inbox's unique (merchant, source, webhook-id); what is left
 * to prove is that each stored row was processed, and that each effect traces back to exactly one row.
 * An inbox row records its effects in `results` ({ref, redemption, outcome}); the outcomes below are
 * the ones that changed something (everything else is `already_*`, `ignored_*`, `unmatched`…).
 */
const EFFECTS = sql`('linked', 'applied', 'released', 'reversed', 'fulfilled')`;

export const INBOUND_CHECKS: InvariantCheck[] = [
  {
    id: 6,
    name: "every accepted inbound webhook is processed (none left unprocessed past the grace period; dead letters are reported apart)",
    query: (grace) => sql`
      SELECT id AS inbox, merchant_id AS merchant, source, webhook_id, event_type, received_at
      FROM inbound_webhooks
      WHERE processed_at IS NULL AND failed_at IS NULL AND received_at < now() - ${grace}`,
  },
  {
    id: 6,
    name: "no effect on a redemption is claimed by two inbox rows (a webhook processed twice)",
    query: sql`
      SELECT result->>'redemption' AS redemption, result->>'outcome' AS effect,
             array_agg(DISTINCT i.id) AS inbox_rows
      FROM inbound_webhooks i, jsonb_array_elements(i.results) result
      WHERE i.results IS NOT NULL AND result->>'outcome' IN ${EFFECTS}
      GROUP BY 1, 2
      HAVING COUNT(DISTINCT i.id) > 1`,
  },
  {
    id: 6,
    name: "every effect an inbox row claims is on record (the status change's event, or the payment link)",
    query: sql`
      SELECT i.id AS inbox, result->>'redemption' AS redemption, result->>'outcome' AS effect
      FROM inbound_webhooks i
      CROSS JOIN jsonb_array_elements(i.results) result
      LEFT JOIN redemptions r ON r.id = result->>'redemption'
      WHERE i.results IS NOT NULL AND result->>'outcome' IN ${EFFECTS}
        -- Events are deleted after 35 days (retention): judge only what is still on record.
        AND i.received_at > now() - interval '30 days'
        AND CASE result->>'outcome'
          WHEN 'linked' THEN r.payment_id IS NULL
          ELSE NOT EXISTS (SELECT 1 FROM events e WHERE e.redemption_id = r.id
                             AND e.type = 'loyalty.redemption.' || (result->>'outcome'))
        END`,
  },
  {
    id: 6,
    name: "every effect only a webhook can cause comes from exactly one inbox row (discount applied, payment release)",
    query: sql`
      SELECT r.id AS redemption, effect.outcome AS effect, COUNT(DISTINCT i.id)::int AS inbox_rows
      FROM redemptions r
      CROSS JOIN LATERAL (
        SELECT 'applied' AS outcome
        WHERE r.reward_type IN ('discount_amount', 'discount_percent')
          AND EXISTS (SELECT 1 FROM events e WHERE e.redemption_id = r.id AND e.type = 'loyalty.redemption.applied')
        UNION ALL
        SELECT 'released' FROM points_transactions t
        WHERE t.redemption_id = r.id AND t.type = 'release' AND t.reason LIKE 'payment\\_%'
      ) effect
      LEFT JOIN inbound_webhooks i ON i.merchant_id = r.merchant_id AND i.source = 'payments' AND i.results @> jsonb_build_array(jsonb_build_object('redemption', r.id, 'outcome', effect.outcome))
      WHERE r.created_at > now() - interval '30 days'
      GROUP BY r.id, effect.outcome
      HAVING COUNT(DISTINCT i.id) <> 1`,
  },
];
