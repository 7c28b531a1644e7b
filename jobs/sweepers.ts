import { sql } from "kysely";
import { findUnprocessedInboundIds } from "../src/domain/inbound/inbox.js";
import { expireRedemption, findExpiredRedemptionIds } from "../src/domain/redemptions/expiry.js";
import { redrive } from "../src/queue/producer.js";
import type { WorkerDeps } from "./deps.js";

/** Idempotency rows are kept at least 24 h (spec §1); we keep them 48 h, then delete them in batches. */
const IDEMPOTENCY_RETENTION_HOURS = 48;

export type Sweep = (deps: WorkerDeps) => Promise<number>;

/**
 * Re-drives work from Postgres, the source of truth: whatever Redis lost (a flush, a failover, a crash
 * between commit and enqueue) is found here and enqueued again. Every job is idempotent, so a re-drive
 * of work that was merely slow is harmless.
 */
export const SWEEPS: Record<string, Sweep> = {
  /** Requests stored by the web process whose job vanished (e.g. the web process died after storing). */
  async staleRequests(deps) {
    const cutoff = new Date(Date.now() - deps.config.SWEEP_STALE_AFTER_MS);
    const rows = await deps.db
      .selectFrom("idempotency_keys")
      .select("id")
      .where("status", "=", "pending")
      .where("created_at", "<", cutoff)
      .orderBy("created_at")
      .limit(500)
      .execute();
    for (const row of rows) await redrive(deps.queues, "execute-request", { requestId: row.id }, { jobId: row.id });
    return rows.length;
  },

  /** Inbound webhooks stored (and answered 2xx) whose processing job was lost or never enqueued. */
  async unprocessedInboundWebhooks(deps) {
    const ids = await findUnprocessedInboundIds(deps.db, deps.config.SWEEP_STALE_AFTER_MS, 500);
    for (const id of ids) await redrive(deps.queues, "process-inbound-webhook", { inboxId: id }, { jobId: id });
    return ids.length;
  },

  /**
   * Pending discounts past `expires_at` whose delayed job was lost (Redis flush, crash before the
   * enqueue). Released here directly: it needs only Postgres, so it works while Redis is away.
   */
  async expiredRedemptions(deps) {
    const ids = await findExpiredRedemptionIds(deps.db, 500);
    let released = 0;
    for (const id of ids) if ((await expireRedemption(deps.db, id)) === "released") released++;
    return released;
  },

  async expiredIdempotencyKeys(deps) {
    const result = await sql`
      DELETE FROM idempotency_keys WHERE id IN (
        SELECT id FROM idempotency_keys
        WHERE status = 'completed' AND created_at < now() - make_interval(hours => ${IDEMPOTENCY_RETENTION_HOURS})
        LIMIT 1000)`.execute(deps.db);
    return Number(result.numAffectedRows ?? 0);
  },
};

/** Only one worker process sweeps at a time (a session-level advisory lock held for the sweep). */
const SWEEP_LOCK_KEY = 0x6c72_7377; // "lrsw"

export async function runSweepsOnce(deps: WorkerDeps): Promise<Record<string, number>> {
  return deps.db.connection().execute(async (connection) => {
    const { rows } = await sql<{ locked: boolean }>`SELECT pg_try_advisory_lock(${SWEEP_LOCK_KEY}) AS locked`.execute(connection);
    if (!rows[0]?.locked) return {};
    try {
      const counts: Record<string, number> = {};
      for (const [name, sweep] of Object.entries(SWEEPS)) {
        try {
          counts[name] = await sweep(deps);
        } catch (error) {
          deps.logger.warn({ err: error, sweep: name }, "sweep failed; will retry next round");
        }
      }
      return counts;
    } finally {
      await sql`SELECT pg_advisory_unlock(${SWEEP_LOCK_KEY})`.execute(connection);
    }
  });
}

export function startSweepers(deps: WorkerDeps): { stop: () => Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    running = runSweepsOnce(deps).catch((error) => deps.logger.warn({ err: error }, "sweep round failed"));
  }, deps.config.SWEEP_INTERVAL_MS);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
