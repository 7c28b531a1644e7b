import { anyExpired, ExpiryFailure, releaseNextExpired } from "../src/domain/redemptions/expiry.js";
import { isOutage } from "../src/ops/outages.js";
import type { WorkerDeps } from "./deps.js";
import { startPollingLoop } from "./polling-loop.js";

/** Releases per round before the loop yields (to a stop, and to the other lanes' share). */
const EXPIRY_BATCH = 500;
/** A redemption whose release threw is left alone this long, then tried again. */
const RETRY_FAILED_AFTER_MS = 60_000;
const SET_ASIDE_MAX = 1_000;

/**
 * Redemptions this process could not release lately (a bug or a refused credit, not an outage), kept
 * out of its rounds until their retry time: the oldest due rows come first in every round, and a few
 * that always fail must not stop the ones behind them.
 */
export class SetAside {
  private readonly until = new Map<string, number>();

  add(id: string): void {
    if (this.until.size >= SET_ASIDE_MAX) this.until.delete(this.until.keys().next().value!);
    this.until.set(id, Date.now() + RETRY_FAILED_AFTER_MS);
  }

  current(): string[] {
    const now = Date.now();
    for (const [id, until] of this.until) if (until <= now) this.until.delete(id);
    return [...this.until.keys()];
  }
}

/**
 * One round: releases the pending discounts past `expires_at`, a few at a time, each in its own
 * transaction (releaseNextExpired), until none is due or the round has released EXPIRY_BATCH. Lanes are
 * capped like the group commits (half the pool, at most 4), so expiry cannot take the connections
 * requests need. Any number of worker processes may run rounds at once: each release picks a different
 * row, and none holds a connection while nothing is due. A release that throws is logged and its
 * redemption set aside; an outage ends the round (the next one retries). Postgres is the only timer:
 * nothing is scheduled in Redis per redemption, so a flushed or failed-over Redis cannot lose an expiry.
 */
export async function expireDueRedemptions(deps: WorkerDeps, setAside = new SetAside()): Promise<{ released: number; more: boolean }> {
  if (!(await anyExpired(deps.db))) return { released: 0, more: false };
  const lanes = Math.max(1, Math.min(4, Math.floor(deps.config.DATABASE_POOL_SIZE / 2)));
  let released = 0;
  let attempts = 0;
  const lane = async () => {
    while (attempts < EXPIRY_BATCH) {
      attempts++;
      try {
        if ((await releaseNextExpired(deps.db, setAside.current())) === null) return;
        released++;
      } catch (error) {
        if (!(error instanceof ExpiryFailure)) throw error;
        if (isOutage(error.cause)) throw error.cause;
        deps.logger.warn({ err: error.cause, redemption: error.redemptionId }, "could not release an expired redemption; set aside, will retry");
        setAside.add(error.redemptionId);
      }
    }
  };
  const results = await Promise.allSettled(Array.from({ length: lanes }, lane));
  const failed = results.find((result) => result.status === "rejected");
  if (failed) throw failed.reason;
  return { released, more: attempts >= EXPIRY_BATCH && released > 0 };
}

/** A pending discount is released within about EXPIRY_INTERVAL_MS of its `expires_at`. */
export function startExpiryLoop(deps: WorkerDeps): { stop: () => Promise<void> } {
  const setAside = new SetAside();
  return startPollingLoop(deps, "expiry", deps.config.EXPIRY_INTERVAL_MS, () => expireDueRedemptions(deps, setAside));
}
