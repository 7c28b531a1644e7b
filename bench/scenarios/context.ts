import { CpuMeter, pidsByName, secs, seedAccounts, seedReward, type Service } from "../lib.js";

/** What the redemption scenarios share: the running service, its accounts and a reward. */
export interface RedemptionContext {
  svc: Service;
  accounts: string[];
  reward: string;
}

export async function seedRedemptions(svc: Service): Promise<RedemptionContext> {
  const accounts = await seedAccounts(svc.db, svc.merchant.merchant, secs(10_000, 1_000), 1_000_000_000);
  const reward = await seedReward(svc.db, svc.merchant.merchant);
  return { svc, accounts, reward };
}

/** Processes whose CPU is accounted per operation: the service's own, and all of Postgres and Redis. */
export function serviceMeter(svc: Service): CpuMeter {
  return new CpuMeter({
    web: () => [svc.web.pid!],
    worker: () => svc.workers.map((worker) => worker.pid!),
    postgres: () => pidsByName("postgres"),
    redis: () => pidsByName("redis-server"),
    loadgen: () => [process.pid],
  });
}

/** CPU milliseconds per operation for each process group. */
export function cpuPerOp(cpuSeconds: Record<string, number>, ops: number): Record<string, number> {
  return Object.fromEntries(Object.entries(cpuSeconds).map(([name, s]) => [name, (s * 1000) / Math.max(1, ops)]));
}

export const pick = <T>(items: T[]) => items[Math.floor(Math.random() * items.length)]!;
