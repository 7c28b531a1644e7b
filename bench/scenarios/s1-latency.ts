import { closedLoop, openLoop, redeem, secs, type LoadResult } from "../lib.js";
import { metered, pick, type RedemptionContext } from "./context.js";

/** CPU ms per redemption of each process group during the load (see serviceMeter). */
type WithCpu = { cpuMsPerRedemption: Record<string, number> };

export interface S1Result {
  closed: (LoadResult & WithCpu & { clients: number })[];
  open: (LoadResult & WithCpu & { offeredRate: number; fractionOfS2: number })[];
}

/**
 * S1 — redemption create latency. Closed loop with 1, 8 and 32 clients (send, wait, send again);
 * open loop at 25/50/75 % of S2's maximum: fixed arrival rate, latency from each request's scheduled
 * send time (see `openLoop` in lib.ts), so a stall is charged to every request it delayed.
 */
export async function s1Latency(ctx: RedemptionContext, s2Max: number): Promise<S1Result> {
  const op = () => redeem(ctx.svc.api, pick(ctx.accounts), ctx.reward);
  // What a redemption costs depends on the load: a lone one pays every hop itself, a batch shares them.
  const withCpu = async <T extends LoadResult>(load: () => Promise<T>): Promise<T & WithCpu> => {
    const { result, cpuMsPerOp } = await metered(ctx.svc, load);
    return { ...result, cpuMsPerRedemption: cpuMsPerOp };
  };
  const closed: S1Result["closed"] = [];
  for (const clients of [1, 8, 32]) closed.push({ ...(await withCpu(() => closedLoop(clients, secs(10, 2) * 1000, op))), clients });
  const open: S1Result["open"] = [];
  for (const fraction of [0.25, 0.5, 0.75]) {
    const rate = Math.max(1, Math.round(s2Max * fraction));
    open.push({ ...(await withCpu(() => openLoop(rate, secs(15, 3) * 1000, op))), fractionOfS2: fraction });
  }
  return { closed, open };
}
