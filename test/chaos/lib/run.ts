import { copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDb } from "../../../src/db/client.js";
import { createMerchant } from "../../../src/domain/merchants/merchants.js";
import { Receiver } from "../../helpers/receiver.js";
import { LoadGenerator, type Fixture } from "./load.js";
import { buildService } from "../../helpers/build.js";
import type { ChaosBackend, Window } from "./backend.js";
import { startClusterBackend } from "./cluster-backend.js";
import { freePort } from "./private-services.js";
import { ProcessFleet, waitReady, type ManagedProcess, type SigtermResult } from "./processes.js";
import { startSingleBackend } from "./single-backend.js";
import { verify, waitDrained, type Verdict } from "./verify.js";

export const LAST_LOG = join(tmpdir(), "lr-chaos-last-processes.log");

export interface ChaosProfile {
  name: string;
  loadMs: number;
  clients: number;
  workers: number;
  /** Pause between two faults, uniformly random in this range. */
  faultEveryMs: [number, number];
  drainTimeoutMs: number;
  /** How long each outage lasts (a web or worker is SIGTERMed in the middle of each), by the backend's names. */
  outageMs: Record<string, number>;
}

export type Topology = "single" | "cluster";

export const PROFILES: Record<"short" | "long", ChaosProfile> = {
  // The load lasts at least loadMs, and until the first round of faults (every kind once) is done.
  short: { name: "short", loadMs: 22_000, clients: 6, workers: 2, faultEveryMs: [1_500, 2_500], drainTimeoutMs: 40_000, outageMs: { redisUnreachable: 5_000, redisPaused: 5_000, postgresUnreachable: 5_000 } },
  long: { name: "long", loadMs: 150_000, clients: 8, workers: 3, faultEveryMs: [3_000, 8_000], drainTimeoutMs: 240_000, outageMs: { redisUnreachable: 15_000, redisPaused: 6_000, postgresUnreachable: 10_000 } },
};

/**
 * The same loads on the cluster backend (cluster-backend.ts). A master kill lasts until a replica is
 * promoted whatever masterDown says; masterRejoinAfter is the pause before the killed node restarts.
 */
export const CLUSTER_PROFILES: Record<"short" | "long", ChaosProfile> = {
  short: { ...PROFILES.short, name: "cluster-short", outageMs: { masterDown: 4_000, masterRejoinAfter: 1_000, replicaDown: 1_500, pgbouncerDown: 4_000, postgresUnreachable: 4_000 } },
  long: { ...PROFILES.long, name: "cluster-long", outageMs: { masterDown: 6_000, masterRejoinAfter: 3_000, replicaDown: 5_000, pgbouncerDown: 10_000, postgresUnreachable: 10_000 } },
};

/** Small, so that a shutdown stuck on a dead dependency is told from one that drains. */
const REQUEST_TIMEOUT_MS = 4_000;
const SHUTDOWN_TIMEOUT_MS = 3_000;
/** Every answer within REQUEST_TIMEOUT_MS + 1 s; every SIGTERMed process gone within SHUTDOWN_TIMEOUT_MS + 1 s. */
const ANSWER_BOUND_MS = REQUEST_TIMEOUT_MS + 1_000;
const EXIT_BOUND_MS = SHUTDOWN_TIMEOUT_MS + 1_000;
/** Past this a SIGTERMed process is SIGKILLed (and reported). */
const EXIT_CAP_MS = EXIT_BOUND_MS + 4_000;

/** The process faults, on any backend; the backend adds its own (single-backend.ts, cluster-backend.ts). */
const PROCESS_FAULTS = ["kill -9 worker", "kill -9 web"];

/** One SIGTERM sent during an outage, and how the process took it. */
export interface OutageShutdown extends SigtermResult {
  fault: string;
  victim: string;
}

export interface ChaosReport {
  profile: string;
  topology: Topology;
  operations: Record<string, unknown>;
  faults: Record<string, number>;
  /** Each SIGTERM during an outage: who, how long it took to exit, and how. */
  shutdowns: OutageShutdown[];
  unexpectedExits: Record<string, number>;
  /** What the backend said about its faults (failover times, …), in order. */
  notes: string[];
  loadMs: number;
  drainMs: number;
  drained: boolean;
  verdict: Verdict;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const between = ([lo, hi]: [number, number]) => lo + Math.random() * (hi - lo);

export async function runChaos(profile: ChaosProfile, log: (line: string) => void = () => {}, topology: Topology = "single"): Promise<ChaosReport> {
  const build = await buildService();
  const backend: ChaosBackend = topology === "cluster" ? await startClusterBackend() : await startSingleBackend();
  const faultKinds = [...PROCESS_FAULTS, ...backend.faults];
  const receiver = await Receiver.start();
  let fleet: ProcessFleet | null = null;
  const db = createDb(backend.databaseUrl, 3);
  try {
    const port = await freePort();
    fleet = new ProcessFleet(
      build,
      {
        ...backend.env,
        QUEUE_PREFIX: "chaos",
        PORT: String(port),
        LOG_LEVEL: "warn",
        REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
        SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
        WORKER_CONCURRENCY: "8",
        DATABASE_POOL_SIZE: "5",
        SWEEP_INTERVAL_MS: "500",
        SWEEP_STALE_AFTER_MS: "2000",
        WEBHOOK_ALLOW_HOSTS: "127.0.0.1",
        WEBHOOK_RETRY_SCHEDULE: "200ms,500ms,1s,2s",
        WEBHOOK_TIMEOUT_MS: "1000",
        WEBHOOK_RELAY_INTERVAL_MS: "100",
        WEBHOOK_DELIVERY_CONCURRENCY: "16",
        // One receiver takes every delivery: at the default cap of 4 in flight it, not recovery, bounds the drain.
        WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT: "16",
      },
      join(backend.dir, "processes.log"),
    );
    await fleet.release(backend.releaseEnv);
    const web = fleet.add("web", "src/bin/web.js");
    const workers: ManagedProcess[] = Array.from({ length: profile.workers }, (_, i) => fleet!.add(`worker${i + 1}`, "jobs/main.js"));
    await waitReady(port);
    log(`chaos[${profile.name}]: ${backend.describe}, logs in ${backend.dir}`);

    // The receiver fails some deliveries and hangs past the timeout on others.
    const receiverOk = new Set<string>();
    receiver.reply = (request) => {
      const roll = Math.random();
      if (roll < 0.15) return { status: 500 };
      if (roll < 0.2) return { status: 200, delayMs: 1_500 };
      receiverOk.add(String(request.headers["webhook-id"]));
      return { status: 200 };
    };

    const merchant = await createMerchant(db, "Chaos merchant");
    const tenant = { merchant: merchant.merchant, key: merchant.secret_key_test, inbound: merchant.inbound_secrets };
    let stopAt = Number.POSITIVE_INFINITY;
    // Clients keep retrying (same key) as long as the drain may take: a fault near the end of the load
    // can leave a request waiting for the sweeper's re-drive, and a real client is at least this patient.
    const load = new LoadGenerator(`http://127.0.0.1:${port}`, tenant, () => stopAt + profile.drainTimeoutMs, ANSWER_BOUND_MS);
    const endpoint = await load.call("POST", "/v1/webhook-endpoints", { url: receiver.url(), enabled_events: ["*"] });
    if (endpoint.status !== 201) throw new Error(`chaos: endpoint registration ${endpoint.status} ${JSON.stringify(endpoint.body)}`);
    receiver.secrets.push(endpoint.body.secret);
    const fixture = await makeFixture(load);

    const loadStarted = Date.now();
    stopAt = loadStarted + profile.loadMs;
    const faults: Record<string, number> = Object.fromEntries(faultKinds.map((kind) => [kind, 0]));
    const shutdowns: OutageShutdown[] = [];
    const notes: string[] = [];
    /** Postgres unreachable, directly or through PgBouncer (a PgBouncer outage is one for the service). */
    const postgresDown: Window[] = [];
    let faultInProgress = false;
    const injector = (async () => {
      // Every kind of fault at least once per round, in a random order; the first round always completes
      // (the load goes on until it has), later rounds only while the load runs.
      let round: string[] = [...faultKinds].sort(() => Math.random() - 0.5);
      let firstRound = true;
      stopAt = Number.POSITIVE_INFINITY;
      // The SIGTERM victims of a round: web once, a worker otherwise, in a random order.
      let victims: ("web" | "worker")[] = [];
      const sigtermVictim = () => {
        if (victims.length === 0) victims = ["web", "worker", "worker"].sort(() => Math.random() - 0.5) as ("web" | "worker")[];
        return victims.pop() === "web" ? web : workers[Math.floor(Math.random() * workers.length)]!;
      };
      const context = { web, workers, sigtermVictim, sigterm: (victim: ManagedProcess) => victim.sigterm(EXIT_CAP_MS), outageMs: profile.outageMs, log };
      while (firstRound || Date.now() + 1_000 < stopAt) {
        await sleep(between(profile.faultEveryMs));
        if (!firstRound && Date.now() >= stopAt) break;
        if (round.length === 0) round = [...faultKinds].sort(() => Math.random() - 0.5);
        const kind = round.pop()!;
        faults[kind]!++;
        faultInProgress = true;
        log(`chaos: ${kind} at +${((Date.now() - loadStarted) / 1000).toFixed(1)} s`);
        if (kind === "kill -9 worker") {
          const victim = workers[Math.floor(Math.random() * workers.length)]!;
          victim.kill9();
          await sleep(300 + Math.random() * 700);
          victim.start();
        } else if (kind === "kill -9 web") {
          web.kill9();
          await sleep(300);
          web.start();
        } else {
          const outcome = await backend.inject(kind, context);
          if (outcome.postgresDown) postgresDown.push(outcome.postgresDown);
          if (outcome.note) {
            notes.push(`${kind}: ${outcome.note}`);
            log(`chaos: ${outcome.note}`);
          }
          const shutdown = outcome.shutdown;
          if (shutdown) {
            shutdowns.push({ fault: kind, ...shutdown });
            log(`chaos: ${shutdown.victim} SIGTERMed during ${kind}: ${shutdown.ms === null ? `still running after ${EXIT_CAP_MS} ms (SIGKILLed)` : `exited in ${shutdown.ms} ms (code ${shutdown.code}, signal ${shutdown.signal})`}`);
          }
        }
        faultInProgress = false;
        if (firstRound && round.length === 0) {
          firstRound = false;
          stopAt = Math.max(loadStarted + profile.loadMs, Date.now() + 2_000);
        }
      }
      stopAt = Math.max(stopAt, Date.now() + 1_000);
    })().catch((error: unknown) => {
      // A fault that could not be injected (or undone) fails the run; the clients stop retrying at once
      // rather than hammer servers that are being torn down.
      stopAt = Number.NEGATIVE_INFINITY;
      faultInProgress = false;
      throw error;
    });
    // The load never stops in the middle of a fault.
    await Promise.all([load.run(fixture, profile.clients, () => (faultInProgress ? Number.POSITIVE_INFINITY : stopAt)), injector]);
    const loadMs = Date.now() - loadStarted;
    log(`chaos: load stopped after ${(loadMs / 1000).toFixed(1)} s; draining`);

    const drain = await waitDrained(db, profile.drainTimeoutMs, log);
    const verdict = await verify(db, merchant.merchant, load.record, receiverOk);
    if (!drain.drained) verdict.problems.push(`did not drain within ${profile.drainTimeoutMs} ms: ${JSON.stringify(drain.last)}`);
    const unexpectedExits = Object.fromEntries(fleet.processes.map((p) => [p.name, p.unexpectedExits.length]));
    for (const p of fleet.processes) if (p.unexpectedExits.length > 0) verdict.problems.push(`${p.name} crashed on its own ${p.unexpectedExits.length} time(s): ${JSON.stringify(p.unexpectedExits)}`);
    // Never hang: every answer within REQUEST_TIMEOUT_MS + 1 s, every SIGTERM obeyed within SHUTDOWN_TIMEOUT_MS + 1 s.
    const stats = load.record.stats;
    if (stats.slowAnswers > 0 || stats.hangs > 0) verdict.problems.push(`${stats.slowAnswers} answer(s) slower than ${ANSWER_BOUND_MS} ms and ${stats.hangs} call(s) never answered (max ${stats.maxAnswerMs} ms): ${load.record.latencySamples.join("; ")}`);
    for (const s of shutdowns) if (s.ms === null || s.ms > EXIT_BOUND_MS) verdict.problems.push(`${s.victim} SIGTERMed during ${s.fault}: ${s.ms === null ? `still running after ${EXIT_CAP_MS} ms, SIGKILLed` : `took ${s.ms} ms to exit (bound ${EXIT_BOUND_MS})`}`);
    // Never lie: outcome_unknown only while Postgres was down, or PgBouncer (with a second of slack for reconnecting).
    const unknownOutsidePostgres = load.record.unknownOutcomes.filter((u) => !postgresDown.some((w) => u.sentAt <= w.to + 1_000 && u.at >= w.from));
    if (unknownOutsidePostgres.length > 0) verdict.problems.push(`${unknownOutsidePostgres.length} answer(s) 500 outcome_unknown while Postgres was up: ${unknownOutsidePostgres.slice(0, 3).map((u) => u.path).join(", ")}`);
    // Every line every process printed is one JSON object.
    for (const [name, check] of fleet.logs) if (check.nonJson > 0) verdict.problems.push(`${name} printed ${check.nonJson} of ${check.lines} line(s) that are not one JSON object, e.g. ${check.samples.map((x) => JSON.stringify(x)).join(", ")}`);
    return {
      profile: profile.name,
      topology,
      operations: { ...load.record.stats, replayMismatches: load.record.stats.replayMismatches.length, webhooksAccepted: load.record.acceptedWebhooks.size, receiverRequests: receiver.received.length, abandoned503: load.record.abandoned503.size, outcomeUnknown: load.record.unknownOutcomes.length },
      faults,
      shutdowns,
      unexpectedExits,
      notes,
      loadMs,
      drainMs: drain.ms,
      drained: drain.drained,
      verdict,
    };
  } finally {
    await fleet?.stopAll().catch(() => {});
    await db.destroy().catch(() => {});
    await receiver.close().catch(() => {});
    // The processes' logs outlive the private servers, for diagnosing a failed run.
    try {
      copyFileSync(join(backend.dir, "processes.log"), LAST_LOG);
    } catch {
      // no log yet
    }
    backend.teardown();
  }
}

async function makeFixture(load: LoadGenerator): Promise<Fixture> {
  const account = async (points: number) => {
    const created = await load.call("POST", "/v1/loyalty/accounts", {});
    await load.call("POST", "/v1/loyalty/transactions", { account: created.body.id, amount: points, reason: "chaos" });
    return created.body.id as string;
  };
  const reward = async (body: Record<string, unknown>) => (await load.call("POST", "/v1/loyalty/rewards", body)).body.id as string;
  return {
    hot: [await account(5_000_000), await account(5_000_000)],
    cold: await Promise.all(Array.from({ length: 12 }, () => account(3_000))),
    rewards: {
      discount_amount: await reward({ name: "EUR 5 off", type: "discount_amount", cost: 500, value: { amount: 500, currency: "EUR" } }),
      discount_limited: await reward({ name: "EUR 20 off", type: "discount_amount", cost: 700, value: { amount: 2000, currency: "EUR" }, inventory: 40 }),
      free_product: await reward({ name: "Tote bag", type: "free_product", cost: 1200, value: { product: "tote-bag" }, inventory: 100000 }),
      store_credit: await reward({ name: "EUR 10 credit", type: "store_credit", cost: 1000, value: { amount: 1000, currency: "EUR" } }),
    },
  };
}

export function formatReport(report: ChaosReport): string {
  const lines = [
    `== chaos report (${report.profile}) ==`,
    `load: ${(report.loadMs / 1000).toFixed(1)} s; drain: ${(report.drainMs / 1000).toFixed(1)} s${report.drained ? "" : " (NOT drained)"}`,
    `operations: ${JSON.stringify(report.operations)}`,
    `faults injected: ${JSON.stringify(report.faults)}`,
    `SIGTERM during outages (bound ${EXIT_BOUND_MS} ms): ${report.shutdowns.map((s) => `${s.victim} in ${s.fault.replace(" + SIGTERM", "")}: ${s.ms === null ? `>${EXIT_CAP_MS} ms (SIGKILLed)` : `${s.ms} ms, code ${s.code}${s.signal ? `, ${s.signal}` : ""}`}`).join("; ")}`,
    `unexpected process exits: ${JSON.stringify(report.unexpectedExits)}`,
    ...report.notes.map((note) => `fault: ${note}`),
    `database: ${JSON.stringify(report.verdict.figures)}`,
    ...report.verdict.invariants.map((r) => `${r.violations.length === 0 ? "ok  " : "FAIL"} [${r.id}] ${r.name}`),
    report.verdict.problems.length === 0 ? "RESULT: nothing lost, nothing doubled" : `RESULT: ${report.verdict.problems.length} problem(s):\n  ${report.verdict.problems.slice(0, 30).join("\n  ")}`,
  ];
  return lines.join("\n");
}
