import { closedLoop, redeem, secs, type LoadResult } from "../lib.js";
import { cpuPerOp, pick, serviceMeter, type RedemptionContext } from "./context.js";

export interface S2Result extends LoadResult {
  clients: number;
  accounts: number;
  /** CPU ms per redemption, per process group (web, worker, postgres, redis, loadgen). */
  cpuMsPerRedemption: Record<string, number>;
  /** CPU cores busy on average during the window, per group. */
  coresBusy: Record<string, number>;
}

/**
 * S2 — sustained redemptions/s across many accounts: a closed loop with many clients (each picks a
 * random account per request) for the whole window; CPU per redemption from /proc utime+stime deltas.
 */
export async function s2Throughput(ctx: RedemptionContext, clients = Number(process.env.S2_CLIENTS ?? 64)): Promise<S2Result> {
  const op = () => redeem(ctx.svc.api, pick(ctx.accounts), ctx.reward);
  await closedLoop(clients, secs(3, 1) * 1000, op); // warm-up: JIT, pools, plans
  const meter = serviceMeter(ctx.svc);
  meter.start();
  const result = await closedLoop(clients, secs(20, 3) * 1000, op);
  const cpu = meter.stop();
  return {
    ...result,
    clients,
    accounts: ctx.accounts.length,
    cpuMsPerRedemption: cpuPerOp(cpu.cpuSeconds, result.ok),
    coresBusy: Object.fromEntries(Object.entries(cpu.cpuSeconds).map(([name, s]) => [name, s / cpu.wallSeconds])),
  };
}
