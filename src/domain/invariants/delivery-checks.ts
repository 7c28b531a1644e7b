import { sql } from "kysely";
import type { InvariantCheck } from "./checks.js";

/**
 * Invariant 7, made precise against the webhook tables. For every event older than the grace period:
 * it was relayed (`published_at`), and for every endpoint of its merchant and mode that is enabled, not
 * deleted, subscribed to its type and unchanged since before the event was written (`updated_at` moves
 * on every PATCH, so an endpoint disabled at relay time and re-enabled later is not owed the event),
 * its initial delivery exists and is one of:
 *   - succeeded, and its last logged attempt got a 2xx;
 *   - pending with `next_attempt_at` not overdue by more than the grace period (still scheduled: a
 *     lease still running counts as in flight);
 *   - failed, with its attempts exhausted and logged (checked for every delivery below).
 * A canceled delivery to such an endpoint is a violation (cancel is only for disabled/deleted ones).
 * Independently of endpoints, every delivery's attempt counter equals its logged attempts 1..n, and its
 * status agrees with its last attempt.
 */
export const DELIVERY_CHECKS: InvariantCheck[] = [
  {
    id: 7,
    name: "every event is relayed to its endpoints (none left unpublished past the grace period)",
    query: (grace) => sql`
      SELECT id AS event, type, created_at FROM events
      WHERE published_at IS NULL AND created_at < now() - ${grace}`,
  },
  {
    id: 7,
    name: "every event reached each subscribed enabled endpoint (2xx), or is still scheduled, or exhausted its attempts",
    query: (grace) => sql`
      SELECT e.id AS event, w.id AS endpoint, d.id AS delivery, d.status, d.attempts, d.next_attempt_at, d.locked_until
      FROM events e
      JOIN webhook_endpoints w ON w.merchant_id = e.merchant_id AND w.livemode = e.livemode
        AND w.status = 'enabled' AND w.deleted_at IS NULL AND w.updated_at < e.created_at
        AND (e.type = ANY(w.enabled_events) OR '*' = ANY(w.enabled_events))
      LEFT JOIN webhook_deliveries d ON d.event_id = e.id AND d.endpoint_id = w.id AND d.redelivery = false
      WHERE e.published_at IS NOT NULL AND e.created_at < now() - ${grace}
        AND (d.id IS NULL
          OR d.status = 'canceled'
          OR (d.status = 'succeeded' AND NOT EXISTS (
                SELECT 1 FROM webhook_attempts a WHERE a.delivery_id = d.id AND a.attempt = d.attempts
                  AND a.status_code BETWEEN 200 AND 299))
          OR (d.status = 'pending' AND d.next_attempt_at < now() - ${grace}
                AND (d.locked_until IS NULL OR d.locked_until < now() - ${grace})))`,
  },
  {
    id: 7,
    name: "every delivery's attempts are all logged (1..n) and its status agrees with the last one",
    query: sql`
      SELECT d.id AS delivery, d.status, d.attempts, COUNT(a.id)::int AS logged, MAX(a.attempt) AS last_logged,
             bool_or(a.attempt = d.attempts AND a.status_code BETWEEN 200 AND 299) AS last_ok,
             bool_or(a.attempt = d.attempts AND a.next_attempt_at IS NULL) AS last_final
      FROM webhook_deliveries d LEFT JOIN webhook_attempts a ON a.delivery_id = d.id
      GROUP BY d.id
      HAVING COUNT(a.id) <> d.attempts OR COALESCE(MAX(a.attempt), 0) <> d.attempts
          OR (d.status = 'succeeded' AND NOT COALESCE(bool_or(a.attempt = d.attempts AND a.status_code BETWEEN 200 AND 299), false))
          OR (d.status = 'failed' AND (d.attempts = 0
                OR COALESCE(bool_or(a.attempt = d.attempts AND a.status_code BETWEEN 200 AND 299), false)
                OR NOT COALESCE(bool_or(a.attempt = d.attempts AND a.next_attempt_at IS NULL), false)))`,
  },
];
