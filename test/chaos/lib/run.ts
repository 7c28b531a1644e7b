import { copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDb } from "../../../src/db/client.js";
import { createMerchant } from "../../../src/domain/merchants/merchants.js";
import { Receiver } from "../../helpers/receiver.js";
import { LoadGenerator, type Fixture } from "./load.js";
import { startPrivateServices, freePort } from "./private-services.js";
import { buildService, ProcessFleet, waitReady, type ManagedProcess } from "./processes.js";
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
}

export const PROFILES: Record<"short" | "long", ChaosProfile> = {
  short: { name: "short", loadMs: 22_000, clients: 6, workers: 2, faultEveryMs: [3_000, 5_000], drainTimeoutMs: 40_000 },
  long: { name: "long", loadMs: 150_000, clients: 8, workers: 3, faultEveryMs: [3_000, 8_000], drainTimeoutMs: 240_000 },
};

type FaultKind = "kill -9 worker" | "kill -9 web" | "redis data loss" | "postgres immediate restart";
const FAULTS: FaultKind[] = ["kill -9 worker", "kill -9 web", "redis data loss", "postgres immediate restart"];

export interface ChaosReport {
  profile: string;
  operations: Record<string, unknown>;
  faults: Record<string, number>;
  unexpectedExits: Record<string, number>;
  loadMs: number;
  drainMs: number;
  drained: boolean;
  verdict: Verdict;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const between = ([lo, hi]: [number, number]) => lo + Math.random() * (hi - lo);

export async function runChaos(profile: ChaosProfile, log: (line: string) => void = () => {}): Promise<ChaosReport> {
  buildService();
  const services = await startPrivateServices();
  const receiver = await Receiver.start();
  let fleet: ProcessFleet | null = null;
  const db = createDb(services.databaseUrl, 3);
  try {
    const port = await freePort();
    fleet = new ProcessFleet(
      {
        DATABASE_URL: services.databaseUrl,
        REDIS_URL: services.redisUrl,
        QUEUE_PREFIX: "chaos",
        PORT: String(port),
        LOG_LEVEL: "warn",
        REQUEST_TIMEOUT_MS: "4000",
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
      join(services.dir, "processes.log"),
    );
    await fleet.release();
    const web = fleet.add("web", "src/bin/web.js");
    const workers: ManagedProcess[] = Array.from({ length: profile.workers }, (_, i) => fleet!.add(`worker${i + 1}`, "jobs/main.js"));
    await waitReady(port);
    log(`chaos[${profile.name}]: private postgres ${services.databaseUrl}, redis ${services.redisUrl}, logs in ${services.dir}`);

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
    const load = new LoadGenerator(`http://127.0.0.1:${port}`, tenant, () => stopAt + profile.drainTimeoutMs);
    const endpoint = await load.call("POST", "/v1/webhook-endpoints", { url: receiver.url(), enabled_events: ["*"] });
    if (endpoint.status !== 201) throw new Error(`chaos: endpoint registration ${endpoint.status} ${JSON.stringify(endpoint.body)}`);
    receiver.secrets.push(endpoint.body.secret);
    const fixture = await makeFixture(load);

    const loadStarted = Date.now();
    stopAt = loadStarted + profile.loadMs;
    const faults: Record<string, number> = Object.fromEntries(FAULTS.map((kind) => [kind, 0]));
    const injector = (async () => {
      // Every kind of fault at least once per round, in a random order.
      let round: FaultKind[] = [];
      while (Date.now() + 1_000 < stopAt) {
        await sleep(between(profile.faultEveryMs));
        if (Date.now() >= stopAt) break;
        if (round.length === 0) round = [...FAULTS].sort(() => Math.random() - 0.5);
        const kind = round.pop()!;
        faults[kind]!++;
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
        } else if (kind === "redis data loss") {
          await services.loseRedis(1_000);
        } else {
          await services.crashPostgres(1_000);
        }
      }
    })();
    await Promise.all([load.run(fixture, profile.clients, stopAt), injector]);
    const loadMs = Date.now() - loadStarted;
    log(`chaos: load stopped after ${(loadMs / 1000).toFixed(1)} s; draining`);

    const drain = await waitDrained(db, profile.drainTimeoutMs, log);
    const verdict = await verify(db, merchant.merchant, load.record, receiverOk);
    if (!drain.drained) verdict.problems.push(`did not drain within ${profile.drainTimeoutMs} ms: ${JSON.stringify(drain.last)}`);
    const unexpectedExits = Object.fromEntries(fleet.processes.map((p) => [p.name, p.unexpectedExits.length]));
    for (const p of fleet.processes) if (p.unexpectedExits.length > 0) verdict.problems.push(`${p.name} crashed on its own ${p.unexpectedExits.length} time(s): ${JSON.stringify(p.unexpectedExits)}`);
    return {
      profile: profile.name,
      operations: { ...load.record.stats, replayMismatches: load.record.stats.replayMismatches.length, webhooksAccepted: load.record.acceptedWebhooks.size, receiverRequests: receiver.received.length },
      faults,
      unexpectedExits,
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
      copyFileSync(join(services.dir, "processes.log"), LAST_LOG);
    } catch {
      // no log yet
    }
    services.teardown();
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
    `unexpected process exits: ${JSON.stringify(report.unexpectedExits)}`,
    `database: ${JSON.stringify(report.verdict.figures)}`,
    ...report.verdict.invariants.map((r) => `${r.violations.length === 0 ? "ok  " : "FAIL"} [${r.id}] ${r.name}`),
    report.verdict.problems.length === 0 ? "RESULT: nothing lost, nothing doubled" : `RESULT: ${report.verdict.problems.length} problem(s):\n  ${report.verdict.problems.slice(0, 30).join("\n  ")}`,
  ];
  return lines.join("\n");
}
