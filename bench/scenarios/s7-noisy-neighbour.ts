import { loadConfig } from "../../src/config.js";
import { createMerchant } from "../../src/domain/merchants/merchants.js";
import { apiClient, closedLoop, createRedemption, openLoop, redeem, secs, seedAccounts, seedReward, sleep, startService, type LoadResult, type Service } from "../lib.js";
import { pick, type RedemptionContext } from "./context.js";

type OpenLoopResult = LoadResult & { offeredRate: number };

/** Merchant B's trickle while merchant A floods, and how it compares with B alone. */
export interface FloodCase<Flood> {
  flooded: OpenLoopResult;
  /** Merchant A during the flood. */
  flood: Flood;
  /** B's p99 during the flood ÷ B's p99 alone (target ≤ 2). */
  p99Ratio: number;
}

/** A's flood against its rate limit: what it offered, and how much of it was accepted (201) or refused (429). */
export type LimitedFlood = OpenLoopResult & { accepted: number; refused: number; factor: number };

export interface S7Result {
  limitPerSecond: number;
  burst: number;
  /** Merchant B's steady trickle, alone. */
  quiet: OpenLoopResult;
  /** A sends exactly its limit. */
  atLimit: FloodCase<LimitedFlood>;
  /** The verdict: A floods at FLOOD_FACTOR× its limit and the excess is refused. */
  overLimit: FloodCase<LimitedFlood>;
}

/** Informational: A's limit set far above capacity, so A floods at the service's capacity. */
export interface S7UncappedResult extends FloodCase<LoadResult> {
  quiet: OpenLoopResult;
  floodClients: number;
}

/** A's offered rate in the verdict case, in multiples of its limit. */
const FLOOD_FACTOR = 4;

/** B's trickle: 5 % of S2, at least 10/s, and well under B's own limit. */
const trickleRate = (s2Rate: number, limit = Infinity) => Math.round(Math.min(limit / 2, Math.max(10, s2Rate * 0.05)));

/**
 * Merchant B, created on `svc`, with a steady open-loop trickle: `quiet` measures it alone (after a
 * warm-up of B's key, plans and caches); `during(flood)` measures it while merchant A's `flood` runs.
 * The flood starts first (its backlog settles and A's burst is spent) and outlasts the trickle.
 */
async function quietNeighbour(svc: Service, rate: number) {
  const merchant = await createMerchant(svc.db, "quiet neighbour");
  const accounts = await seedAccounts(svc.db, merchant.merchant, secs(1_000, 100), 1_000_000_000);
  const reward = await seedReward(svc.db, merchant.merchant);
  const api = apiClient(svc.ports[0]!, merchant.secret_key_test, 64);
  const close = () => api.pool.close().catch(() => {});
  const trickle = (ms: number) => openLoop(rate, ms, () => redeem(api, pick(accounts), reward));
  let quiet: OpenLoopResult;
  try {
    await trickle(secs(2, 1) * 1000);
    quiet = await trickle(secs(15, 3) * 1000);
  } catch (error) {
    await close(); // the caller gets no handle to close it with
    throw error;
  }
  return {
    quiet,
    async during<Flood>(flood: (ms: number) => Promise<Flood>): Promise<FloodCase<Flood>> {
      await sleep(500);
      const floodDone = flood(secs(18, 5) * 1000);
      await sleep(secs(2, 1) * 1000);
      const flooded = await trickle(secs(15, 3) * 1000);
      return { flooded, flood: await floodDone, p99Ratio: flooded.latency.p99 / quiet.latency.p99 };
    },
    close,
  };
}

/**
 * S7 — the noisy neighbour, as the issue states it: merchant A floods creates "up to its rate limit".
 * A service of its own runs with the per-key limits it ships with (RATE_LIMIT_PER_SECOND /
 * RATE_LIMIT_BURST defaults). A sends exactly its limit, then floods open loop at FLOOD_FACTOR× its
 * limit: the excess is refused with 429 (a Redis round trip each), and what the limiter lets through —
 * the burst once, then one request every 1/limit s (a token bucket) — runs beside B.
 * B must be served throughout, its p99 within 2× its quiet p99.
 */
export async function s7NoisyNeighbour(s2Rate: number): Promise<S7Result> {
  const { RATE_LIMIT_PER_SECOND: limitPerSecond, RATE_LIMIT_BURST: burst } = loadConfig({});
  const svc = await startService({ env: { RATE_LIMIT_PER_SECOND: String(limitPerSecond), RATE_LIMIT_BURST: String(burst) } });
  try {
    const accounts = await seedAccounts(svc.db, svc.merchant.merchant, secs(2_000, 100), 1_000_000_000);
    const reward = await seedReward(svc.db, svc.merchant.merchant);
    const floodAt = (factor: number) => async (ms: number): Promise<LimitedFlood> => {
      let accepted = 0;
      let refused = 0;
      const load = await openLoop(limitPerSecond * factor, ms, async () => {
        const { status, text } = await createRedemption(svc.api, pick(accounts), reward);
        if (status === 201) accepted++;
        else if (status === 429) refused++;
        else throw new Error(`redemption ${status}: ${text.slice(0, 200)}`);
      });
      return { ...load, accepted, refused, factor };
    };
    const b = await quietNeighbour(svc, trickleRate(s2Rate, limitPerSecond));
    try {
      const atLimit = await b.during(floodAt(1));
      const overLimit = await b.during(floodAt(FLOOD_FACTOR));
      return { limitPerSecond, burst, quiet: b.quiet, atLimit, overLimit };
    } finally {
      await b.close();
    }
  } finally {
    await svc.stop();
  }
}

/**
 * S7, uncapped (informational): on the main benchmark service, whose limits are set far above what
 * the machine serves, A floods with as many closed-loop clients as S2 — at the service's capacity,
 * which no rate limit of a real deployment allows one merchant.
 */
export async function s7Uncapped(ctx: RedemptionContext, s2Rate: number, floodClients = Number(process.env.S2_CLIENTS ?? 64)): Promise<S7UncappedResult> {
  const { svc } = ctx;
  const b = await quietNeighbour(svc, trickleRate(s2Rate));
  try {
    const flooded = await b.during((ms) => closedLoop(floodClients, ms, () => redeem(svc.api, pick(ctx.accounts), ctx.reward)));
    return { quiet: b.quiet, ...flooded, floodClients };
  } finally {
    await b.close();
  }
}
