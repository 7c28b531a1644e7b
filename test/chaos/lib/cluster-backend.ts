import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { startPrivateCluster, type PrivateCluster } from "../../../scripts/dev/private-cluster.js";
import { startPrivatePgBouncer, type PrivatePgBouncer } from "../../../scripts/dev/private-pgbouncer.js";
import { sleep, type ChaosBackend, type FaultContext, type FaultOutcome } from "./backend.js";
import { startPrivatePostgres, type PrivatePostgres } from "./private-services.js";
import type { SigtermResult } from "./processes.js";

/**
 * The cluster topology (CHAOS_TOPOLOGY=cluster): the service on a private 6-node Redis Cluster (3
 * masters + 3 replicas, REDIS_CLUSTER_NODES) and a private PgBouncer in transaction pooling mode
 * (DATABASE_POOLING=transaction) in front of a private Postgres — production's shape, all of it ours
 * to break. Faults besides the process ones: kill -9 of a master (a replica is promoted after
 * cluster-node-timeout; the killed node is then restarted and rejoins as a replica), kill -9 of a
 * replica (restarted too), PgBouncer restarted, Postgres crashing behind PgBouncer, and three outages
 * with a web or worker SIGTERMed in each: a master dead until its replica is promoted, PgBouncer
 * stopped, Postgres stopped behind PgBouncer. Each cluster fault ends with the cluster whole again
 * (every master with a synced replica), so the next master kill always has a replica to promote.
 */
const OUTAGES = ["redis master kill -9 + SIGTERM", "pgbouncer down + SIGTERM", "postgres unreachable + SIGTERM"] as const;
type Outage = (typeof OUTAGES)[number];
const OUTAGE_MS_KEY: Record<Outage, string> = {
  "redis master kill -9 + SIGTERM": "masterDown",
  "pgbouncer down + SIGTERM": "pgbouncerDown",
  "postgres unreachable + SIGTERM": "postgresUnreachable",
};
/** Generous: promotion takes cluster-node-timeout (2 s) plus an election on a busy 2-core machine. */
const PROMOTION_DEADLINE_MS = 20_000;
const WHOLE_DEADLINE_MS = 40_000;

export async function startClusterBackend(): Promise<ChaosBackend> {
  const dir = mkdtempSync("/tmp/lr-chaos-cluster-");
  let postgres: PrivatePostgres | null = null;
  let bouncer: PrivatePgBouncer | null = null;
  let cluster: PrivateCluster | null = null;
  let torn = false;
  const teardown = () => {
    if (torn) return;
    torn = true;
    cluster?.teardown();
    bouncer?.teardown();
    postgres?.teardown();
    rmSync(dir, { recursive: true, force: true });
  };
  process.once("exit", teardown);
  try {
    postgres = await startPrivatePostgres(dir);
    // Server connections for every client connection of the fleet (web + 3 workers × DATABASE_POOL_SIZE
    // 5): the chaos is in the faults, not in PgBouncer's queue.
    bouncer = await startPrivatePgBouncer({ poolSize: 25, postgresPort: postgres.port });
    cluster = await startPrivateCluster();
  } catch (error) {
    teardown();
    throw error;
  }
  const [pg, pgb, rc] = [postgres, bouncer, cluster];
  const directUrl = pg.databaseUrl("loyalty_chaos");
  const window = async (action: () => Promise<void>): Promise<FaultOutcome> => {
    const from = Date.now();
    await action();
    return { postgresDown: { from, to: Date.now() } };
  };
  return {
    describe: `private postgres ${directUrl} behind pgbouncer :${pgb.port} (transaction pooling), redis cluster ${rc.seeds}`,
    dir,
    env: {
      DATABASE_URL: pgb.urlFor(directUrl),
      DATABASE_POOLING: "transaction",
      REDIS_CLUSTER_NODES: rc.seeds,
      // Config refuses a REDIS_URL next to REDIS_CLUSTER_NODES: the default, overriding any inherited one.
      REDIS_URL: "redis://127.0.0.1:6379",
    },
    // Migrations straight to Postgres, as a release step usually runs; the service itself goes through PgBouncer.
    releaseEnv: { DATABASE_URL: directUrl, DATABASE_POOLING: "session" },
    databaseUrl: directUrl,
    faults: ["redis master kill -9", "redis replica kill -9", "pgbouncer restart", "postgres immediate restart", ...OUTAGES],
    inject: async (kind, context) => {
      if (kind === "redis master kill -9") return { note: await killMaster(rc, context) };
      if (kind === "redis replica kill -9") return { note: await killReplica(rc, context) };
      if (kind === "pgbouncer restart") return window(async () => {
        await pgb.stop();
        await sleep(1_000);
        await pgb.start();
      });
      if (kind === "postgres immediate restart") return window(async () => {
        pg.stop();
        await sleep(1_000);
        pg.start();
      });
      return outageWithSigterm({ pg, pgb, rc }, kind as Outage, context);
    },
    teardown,
  };
}

/**
 * Each master kill takes the master of the next queue's hash tag (src/queue/catalog.ts), so the kills
 * land where the service's jobs live rather than on whichever master a die picks; starting at random.
 */
const QUEUE_TAGS = ["{requests}", "{deliveries}", "{inbound}"];
let nextTag = Math.floor(Math.random() * QUEUE_TAGS.length);
function queueMaster(rc: PrivateCluster) {
  const tag = QUEUE_TAGS[nextTag++ % QUEUE_TAGS.length]!;
  const victim = rc.masterOf(tag);
  const served = QUEUE_TAGS.filter((other) => rc.masterOf(other).id === victim.id);
  return { victim, served };
}

/** kill -9 of a master; its replica promoted; `extraDownMs` later the old master restarted (it rejoins as a replica). */
async function killMaster(rc: PrivateCluster, context: FaultContext, during?: (killedAt: number) => Promise<void>, afterPromotion?: () => void): Promise<string> {
  const { victim, served } = queueMaster(rc);
  const killedAt = Date.now();
  rc.kill(victim.port);
  const duringDone = during?.(killedAt);
  const promoted = await rc.waitPromotion(victim.id, PROMOTION_DEADLINE_MS);
  const promotionMs = Date.now() - killedAt;
  await duringDone;
  afterPromotion?.();
  await sleep(context.outageMs.masterRejoinAfter ?? 1_000);
  await rc.restart(victim.port);
  const rejoinStarted = Date.now();
  await waitWhole(rc);
  const role = rc.topology().find((node) => node.port === victim.port)?.role;
  if (role !== "replica") throw new Error(`chaos: killed master :${victim.port} restarted as ${role}, not as a replica`);
  return `master :${victim.port} (queues ${served.join(" ")}) killed, replica :${promoted} promoted in ${promotionMs} ms, old master back as its synced replica in ${Date.now() - rejoinStarted} ms`;
}

async function killReplica(rc: PrivateCluster, context: FaultContext): Promise<string> {
  const replicas = rc.topology().filter((node) => node.role === "replica" && !node.failed && rc.isAlive(node.port));
  const victim = replicas[Math.floor(Math.random() * replicas.length)]!;
  rc.kill(victim.port);
  await sleep(context.outageMs.replicaDown ?? 2_000);
  await rc.restart(victim.port);
  const restarted = Date.now();
  await waitWhole(rc);
  return `replica :${victim.port} killed, back and synced ${Date.now() - restarted} ms after its restart`;
}

/**
 * An outage with `victim` SIGTERMed a second into it (so, for a master kill, before cluster-node-timeout
 * has promoted anyone); it lasts its profile's duration, and at least until the victim has exited.
 * The victim is restarted once the dependency is back.
 */
async function outageWithSigterm(s: { pg: PrivatePostgres; pgb: PrivatePgBouncer; rc: PrivateCluster }, kind: Outage, context: FaultContext): Promise<FaultOutcome> {
  const victim = context.sigtermVictim();
  const outageMs = context.outageMs[OUTAGE_MS_KEY[kind]]!;
  let shutdown: SigtermResult | undefined;
  const sigtermInside = async (started: number) => {
    await sleep(1_000);
    shutdown = await context.sigterm(victim);
    await sleep(Math.max(0, started + outageMs - Date.now()));
  };
  const from = Date.now();
  let note: string | undefined;
  if (kind === "redis master kill -9 + SIGTERM") {
    // The victim comes back once the slots have a master again, before the old master rejoins.
    note = await killMaster(s.rc, context, sigtermInside, () => victim.start());
    return { shutdown: { victim: victim.name, ...shutdown! }, note };
  }
  if (kind === "pgbouncer down + SIGTERM") await s.pgb.stop();
  else s.pg.stop();
  try {
    await sigtermInside(from);
  } finally {
    if (kind === "pgbouncer down + SIGTERM") await s.pgb.start();
    else s.pg.start();
  }
  const to = Date.now();
  victim.start();
  return { shutdown: { victim: victim.name, ...shutdown! }, postgresDown: { from, to } };
}

const cli = (port: number, ...command: string[]) =>
  new Promise<string>((resolve) => execFile("redis-cli", ["-p", String(port), ...command], { encoding: "utf8", timeout: 3_000 }, (_error, stdout) => resolve(stdout ?? "")));

/** Cluster ok, three live masters, each with a live replica whose link to it is up. */
async function waitWhole(rc: PrivateCluster): Promise<void> {
  const deadline = Date.now() + WHOLE_DEADLINE_MS;
  await rc.waitOk(WHOLE_DEADLINE_MS);
  let last = "";
  while (Date.now() < deadline) {
    const nodes = rc.topology();
    const masters = nodes.filter((node) => node.role === "master" && !node.failed && rc.isAlive(node.port));
    const replicas = nodes.filter((node) => node.role === "replica" && !node.failed && rc.isAlive(node.port));
    const synced = await Promise.all(replicas.map(async (node) => ({ node, up: /master_link_status:up/.test(await cli(node.port, "info", "replication")) })));
    const unserved = masters.filter((master) => !synced.some(({ node, up }) => up && node.masterId === master.id));
    if (masters.length === 3 && unserved.length === 0) return;
    last = `${masters.length} masters, without a synced replica: ${unserved.map((m) => m.port).join(",")}`;
    await sleep(200);
  }
  throw new Error(`chaos: cluster not whole within ${WHOLE_DEADLINE_MS} ms (${last}; logs in ${rc.dir})`);
}
