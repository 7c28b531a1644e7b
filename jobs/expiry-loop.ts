import { expireRedemption, findExpiredRedemptionIds } from "../src/domain/redemptions/expiry.js";
import type { WorkerDeps } from "./deps.js";
import { startPollingLoop } from "./polling-loop.js";

const EXPIRY_BATCH = 500;
/**
 * Releases run this many at a time, each in its own transaction on its own connection: at a create rate
 * where most discounts go unpaid, one release after another would fall behind.
 */
const EXPIRY_LANES = 4;

/**
 * Releases the pending discounts whose `expires_at` has passed, found in Postgres (partial index
 * `redemptions_expiring`), each in its own transaction: one paid meanwhile is left alone, one that fails
 * fails alone (the round reports the first error once every lane has stopped; the next round retries).
 * Any number of worker processes may run rounds at once: a release skips a redemption another holds
 * (SKIP LOCKED) and finds one already released no longer pending, so each is released once, and no
 * lease holds a connection while nothing is due. Postgres is the only timer: nothing is scheduled in
 * Redis per redemption, so a flushed or failed-over Redis cannot lose an expiry.
 */
export async function expireDueRedemptions(deps: WorkerDeps): Promise<{ released: number; more: boolean }> {
  const ids = await findExpiredRedemptionIds(deps.db, EXPIRY_BATCH);
  let next = 0;
  let released = 0;
  const lanes = await Promise.allSettled(
    Array.from({ length: Math.min(EXPIRY_LANES, ids.length) }, async () => {
      while (next < ids.length) if ((await expireRedemption(deps.db, ids[next++]!)) === "released") released++;
    }),
  );
  const failed = lanes.find((lane) => lane.status === "rejected");
  if (failed) throw failed.reason;
  // A full batch means more are due, unless none of it could be released (all held elsewhere): then the
  // next round waits for the interval instead of spinning on the same rows.
  return { released, more: ids.length === EXPIRY_BATCH && released > 0 };
}

/** A pending discount is released within about EXPIRY_INTERVAL_MS of its `expires_at`. */
export function startExpiryLoop(deps: WorkerDeps): { stop: () => Promise<void> } {
  return startPollingLoop(deps, "expiry", deps.config.EXPIRY_INTERVAL_MS, () => expireDueRedemptions(deps));
}
