import { sql } from "kysely";
import { whileLeading } from "../src/db/leader.js";
import { findUnprocessedInbound } from "../src/domain/inbound/inbox.js";
import { deliveryJobId, findDueDeliveries, firstPerEndpoint } from "../src/domain/webhooks/relay.js";
import { isOutage, outageOf } from "../src/ops/outages.js";
import { redrive } from "../src/queue/producer.js";
import type { WorkerDeps } from "./deps.js";
import { relayAndEnqueue } from "./relay-loop.js";

/** Idempotency rows are kept at least 24 h (spec §1); we keep them 48 h, then delete them in batches. */
const IDEMPOTENCY_RETENTION_HOURS = 48;
/** Events are kept at least 30 days (spec §6); we keep them 35, with their deliveries and attempts. */
const EVENT_RETENTION_DAYS = 35;
/**
 * The console's action log (who did what, with which key) is kept 400 days: a year and a month, so a
 * yearly review still finds last year's same month. Sessions go as soon as they expire (8 h after
 * sign-in): an expired row can no longer sign anyone in, and it holds the key's hash.
 */
export const CONSOLE_ACTION_RETENTION_DAYS = 400;

export type Sweep = (deps: WorkerDeps) => Promise<number>;

/**
 * Re-drives work from Postgres, the source of truth: whatever Redis lost (a flush, a failover, a crash
 * between commit and enqueue) is found here and enqueued again. Every job is idempotent, so a re-drive
 * of work that was merely slow is harmless.
 */
export const SWEEPS: Record<string, Sweep> = {
  /**
   * Requests past their deadline that no job withdrew (the web process died, or could not reach
   * Postgres to withdraw them). They can no longer take effect — a trigger refuses a late COMMIT — so
   * they are deleted, never re-driven: a request runs while its client waits for it, or not at all.
   */
  async overdueRequests(deps) {
    const result = await sql`
      DELETE FROM idempotency_keys WHERE id IN (
        SELECT id FROM idempotency_keys
        WHERE status = 'pending' AND deadline_at < clock_timestamp() - interval '1 second'
        ORDER BY deadline_at LIMIT 1000)`.execute(deps.db);
    return Number(result.numAffectedRows ?? 0);
  },

  /** Inbound webhooks stored (and answered 2xx) whose processing job was lost or never enqueued. */
  async unprocessedInboundWebhooks(deps) {
    const rows = await findUnprocessedInbound(deps.db, deps.config.SWEEP_STALE_AFTER_MS, 500);
    for (const row of rows) await redrive(deps.queues, "process-inbound-webhook", { inboxId: row.id }, { jobId: row.id, merchant: row.merchant_id });
    return rows.length;
  },

  /** Events the relay loop has not turned into deliveries (worker down, relay crashed mid-way). */
  async unpublishedEvents(deps) {
    let total = 0;
    for (let round = 0; round < 10; round++) {
      const relayed = await relayAndEnqueue(deps);
      total += relayed;
      if (relayed === 0) break;
    }
    return total;
  },

  /**
   * Deliveries whose next attempt is due and whose job is gone (Redis lost, enqueue failed, crash): one
   * job per endpoint, named after its oldest due delivery, delivers them all.
   */
  async dueDeliveries(deps) {
    const rows = await findDueDeliveries(deps.db, new Date(), 1000);
    for (const row of firstPerEndpoint(rows)) await redrive(deps.queues, "deliver-webhook", { endpointId: row.endpoint_id }, { jobId: deliveryJobId(row) });
    return rows.length;
  },

  /** Retention: old events go with their deliveries and attempts, but never while a delivery is pending. */
  async expiredEvents(deps) {
    const result = await sql`
      DELETE FROM events WHERE id IN (
        SELECT e.id FROM events e
        WHERE e.created_at < now() - make_interval(days => ${EVENT_RETENTION_DAYS}) AND e.published_at IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id AND d.status = 'pending')
        LIMIT 1000)`.execute(deps.db);
    return Number(result.numAffectedRows ?? 0);
  },

  async expiredIdempotencyKeys(deps) {
    const result = await sql`
      DELETE FROM idempotency_keys WHERE id IN (
        SELECT id FROM idempotency_keys
        WHERE status IN ('completed', 'failed') AND created_at < now() - make_interval(hours => ${IDEMPOTENCY_RETENTION_HOURS})
        LIMIT 1000)`.execute(deps.db);
    return Number(result.numAffectedRows ?? 0);
  },

  /** Console sessions past `expires_at` (sign-out deletes its own row; a closed laptop never signs out). */
  async expiredConsoleSessions(deps) {
    const result = await sql`
      DELETE FROM console_sessions WHERE id IN (
        SELECT id FROM console_sessions WHERE expires_at <= now()
        ORDER BY expires_at LIMIT 1000)`.execute(deps.db);
    return Number(result.numAffectedRows ?? 0);
  },

  /** The console's action log past its retention, oldest first. */
  async expiredConsoleActions(deps) {
    const result = await sql`
      DELETE FROM console_actions WHERE id IN (
        SELECT id FROM console_actions WHERE created_at < now() - make_interval(days => ${CONSOLE_ACTION_RETENTION_DAYS})
        ORDER BY created_at LIMIT 1000)`.execute(deps.db);
    return Number(result.numAffectedRows ?? 0);
  },
};

/**
 * Only one worker process sweeps at a time: the sweeps run under a lease (a transaction-level advisory
 * lock held for the round, src/db/leader.ts), which also works through PgBouncer in transaction mode.
 */
export const SWEEP_LOCK_KEY = 0x6c72_7377; // "lrsw"

export async function runSweepsOnce(deps: WorkerDeps): Promise<Record<string, number>> {
  const round = await whileLeading(deps.db, SWEEP_LOCK_KEY, async () => {
    const counts: Record<string, number> = {};
    for (const [name, sweep] of Object.entries(SWEEPS)) {
      try {
        counts[name] = await sweep(deps);
      } catch (error) {
        // An outage fails every sweep each round: the monitor reports it once, not five lines a round.
        const outage = outageOf(error);
        if (outage) deps.monitor.down(outage === "unknown" ? "postgres" : outage, error);
        else deps.logger.warn({ err: error, sweep: name }, "sweep failed; will retry next round");
      }
    }
    return counts;
  });
  return round.led ? round.value : {};
}

export function startSweepers(deps: WorkerDeps): { stop: () => Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    running = runSweepsOnce(deps).catch((error) => {
      if (isOutage(error)) deps.monitor.down("postgres", error);
      else deps.logger.warn({ err: error }, "sweep round failed");
    });
  }, deps.config.SWEEP_INTERVAL_MS);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
