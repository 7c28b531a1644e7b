import { closedLoop, redeem, secs, type LoadResult } from "../lib.js";
import { metered, pick, type RedemptionContext } from "./context.js";

export interface S2Result extends LoadResult {
  clients: number;
  accounts: number;
  /** CPU ms per redemption, per process group (web, worker, postgres, redis, loadgen). */
  cpuMsPerRedemption: Record<string, number>;
  /** CPU cores busy on average during the window, per group. */
  coresBusy: Record<string, number>;
}

/** S2's closed-loop clients (S2_CLIENTS, default 64): the same for the single-node and the cluster run. */
export const s2Clients = () => Number(process.env.S2_CLIENTS ?? 64);

/**
 * S2 — sustained redemptions/s across many accounts: a closed loop with many clients (each picks a
 * random account per request) for the whole window; CPU per redemption from /proc utime+stime deltas.
 * With several web processes (each on its own port) the requests alternate between them, one by one.
 */
export async function s2Throughput(ctx: RedemptionContext, clients = s2Clients(), options: { extraPostgresPids?: () => number[] } = {}): Promise<S2Result> {
  const apis = ctx.svc.apis;
  let next = 0;
  const op = () => redeem(apis[next++ % apis.length]!, pick(ctx.accounts), ctx.reward);
  await closedLoop(clients, secs(3, 1) * 1000, op); // warm-up: JIT, pools, plans
  const { result, cpuMsPerOp, coresBusy } = await metered(ctx.svc, () => closedLoop(clients, secs(20, 3) * 1000, op), options.extraPostgresPids);
  return { ...result, clients, accounts: ctx.accounts.length, cpuMsPerRedemption: cpuMsPerOp, coresBusy };
}
