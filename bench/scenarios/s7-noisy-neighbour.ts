import { createMerchant } from "../../src/domain/merchants/merchants.js";
import { apiClient, closedLoop, openLoop, redeem, secs, seedAccounts, seedReward, sleep, type LoadResult } from "../lib.js";
import { pick, type RedemptionContext } from "./context.js";

export interface S7Result {
  /** Merchant B's steady trickle, alone. */
  quiet: LoadResult & { offeredRate: number };
  /** The same trickle while merchant A floods with `floodClients` closed-loop clients. */
  flooded: LoadResult & { offeredRate: number };
  /** Merchant A's throughput during the flood. */
  flood: LoadResult;
  floodClients: number;
  /** B's p99 during the flood ÷ B's p99 alone (target ≤ 2). */
  p99Ratio: number;
}

/**
 * S7 — the noisy neighbour: merchant B sends a steady open-loop trickle, first alone, then while
 * merchant A floods creates with as many clients as S2 (A's rate limit, like every limit in the
 * benchmark, is set far above what the machine can serve, so A floods at the service's capacity).
 * B's p99 under the flood must stay within 2× its quiet p99, and B must be served throughout.
 */
export async function s7NoisyNeighbour(ctx: RedemptionContext, s2Rate: number, floodClients = Number(process.env.S2_CLIENTS ?? 64)): Promise<S7Result> {
  const { svc } = ctx;
  const quietMerchant = await createMerchant(svc.db, "quiet neighbour");
  const accounts = await seedAccounts(svc.db, quietMerchant.merchant, secs(1_000, 100), 1_000_000_000);
  const reward = await seedReward(svc.db, quietMerchant.merchant);
  const api = apiClient(svc.bench.port, quietMerchant.secret_key_test, 64);
  try {
    const rate = Math.max(10, Math.round(s2Rate * 0.05));
    const trickle = (ms: number) => openLoop(rate, ms, () => redeem(api, pick(accounts), reward));
    await trickle(secs(2, 1) * 1000); // warm-up of B's key, plans and caches
    const quiet = await trickle(secs(15, 3) * 1000);
    await sleep(500);
    // The flood starts first (its backlog builds) and outlasts the trickle.
    const floodDone = closedLoop(floodClients, secs(18, 5) * 1000, () => redeem(svc.api, pick(ctx.accounts), ctx.reward));
    await sleep(secs(2, 1) * 1000);
    const flooded = await trickle(secs(15, 3) * 1000);
    const flood = await floodDone;
    return { quiet, flooded, flood, floodClients, p99Ratio: flooded.latency.p99 / quiet.latency.p99 };
  } finally {
    await api.pool.close().catch(() => {});
  }
}
