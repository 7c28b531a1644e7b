import { sleep, type ChaosBackend, type FaultContext } from "./backend.js";
import { startPrivateServices, type PrivateServices } from "./private-services.js";
import type { SigtermResult } from "./processes.js";

/**
 * The single-node topology: a private Postgres and a private Redis (private-services.ts). Its faults
 * besides the process ones: Redis losing all its data, Postgres crashing, and three outages — Redis
 * stopped (data kept), Redis SIGSTOPped, Postgres stopped — each with a web or worker SIGTERMed in it.
 */
const OUTAGES = ["redis unreachable + SIGTERM", "redis paused + SIGTERM", "postgres unreachable + SIGTERM"] as const;
type Outage = (typeof OUTAGES)[number];
const OUTAGE_MS_KEY: Record<Outage, string> = {
  "redis unreachable + SIGTERM": "redisUnreachable",
  "redis paused + SIGTERM": "redisPaused",
  "postgres unreachable + SIGTERM": "postgresUnreachable",
};

export async function startSingleBackend(): Promise<ChaosBackend> {
  const services = await startPrivateServices();
  return {
    describe: `private postgres ${services.databaseUrl}, redis ${services.redisUrl}`,
    dir: services.dir,
    env: { DATABASE_URL: services.databaseUrl, REDIS_URL: services.redisUrl },
    releaseEnv: {},
    databaseUrl: services.databaseUrl,
    faults: ["redis data loss", "postgres immediate restart", ...OUTAGES],
    inject: async (kind, context) => {
      if (kind === "redis data loss") {
        await services.loseRedis(1_000);
        return {};
      }
      if (kind === "postgres immediate restart") {
        const from = Date.now();
        await services.crashPostgres(1_000);
        return { postgresDown: { from, to: Date.now() } };
      }
      const victim = context.sigtermVictim();
      const from = Date.now();
      const shutdown = await outageWithSigterm(services, kind as Outage, context, victim);
      return { shutdown: { victim: victim.name, ...shutdown }, ...(kind === "postgres unreachable + SIGTERM" ? { postgresDown: { from, to: Date.now() } } : {}) };
    },
    teardown: () => services.teardown(),
  };
}

/**
 * An outage of `kind` (Redis stopped with its data kept, Redis SIGSTOPped, or Postgres stopped), with
 * `victim` SIGTERMed a second into it; the outage lasts its profile's duration, and at least until the
 * victim has exited (or been SIGKILLed at the cap), so the shutdown is measured inside the outage. The
 * victim is restarted once the dependency is back, like the kill -9 faults restart theirs.
 */
async function outageWithSigterm(services: PrivateServices, kind: Outage, context: FaultContext, victim: FaultContext["web"]): Promise<SigtermResult> {
  const started = Date.now();
  if (kind === "redis unreachable + SIGTERM") await services.stopRedis({ keepData: true });
  else if (kind === "redis paused + SIGTERM") services.pauseRedis();
  else services.stopPostgres();
  let result: SigtermResult;
  try {
    await sleep(1_000);
    result = await context.sigterm(victim);
    await sleep(Math.max(0, started + context.outageMs[OUTAGE_MS_KEY[kind]]! - Date.now()));
  } finally {
    if (kind === "redis unreachable + SIGTERM") await services.startRedis();
    else if (kind === "redis paused + SIGTERM") services.resumeRedis();
    else services.startPostgres();
  }
  victim.start();
  return result;
}
