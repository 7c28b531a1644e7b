import { CpuMeter, pidsByName, secs, seedAccounts, seedReward, type LoadResult, type Service } from "../lib.js";

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

/**
 * Processes whose CPU is accounted per operation: the service's own (every web and worker process),
 * and all of Postgres and Redis; `extraPostgres` adds pids to the postgres group (a private PgBouncer).
 */
export function serviceMeter(svc: Service, extraPostgres: () => number[] = () => []): CpuMeter {
  return new CpuMeter({
    web: () => svc.webs.map((web) => web.pid!),
    worker: () => svc.workers.map((worker) => worker.pid!),
    postgres: () => [...pidsByName("postgres"), ...extraPostgres()],
    redis: () => pidsByName("redis-server"),
    loadgen: () => [process.pid],
  });
}

/**
 * Runs `load` under the service's CPU meter: its result, CPU ms per successful operation and cores
 * busy for each process group (`extraPostgres` as in serviceMeter).
 */
export async function metered<T extends LoadResult>(svc: Service, load: () => Promise<T>, extraPostgres?: () => number[]) {
  const meter = serviceMeter(svc, extraPostgres);
  meter.start();
  const result = await load();
  const cpu = meter.stop();
  return {
    result,
    cpuMsPerOp: cpuPerOp(cpu.cpuSeconds, result.ok),
    coresBusy: Object.fromEntries(Object.entries(cpu.cpuSeconds).map(([name, s]) => [name, s / cpu.wallSeconds])),
  };
}

/** CPU milliseconds per operation for each process group. */
export function cpuPerOp(cpuSeconds: Record<string, number>, ops: number): Record<string, number> {
  return Object.fromEntries(Object.entries(cpuSeconds).map(([name, s]) => [name, (s * 1000) / Math.max(1, ops)]));
}

export const pick = <T>(items: T[]) => items[Math.floor(Math.random() * items.length)]!;
