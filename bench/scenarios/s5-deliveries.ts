import { createServer, type Server } from "node:http";
import { loadConfig } from "../../src/config.js";
import { createDb } from "../../src/db/client.js";
import type { Db } from "../../src/db/database.js";
import { inTransaction } from "../../src/db/transaction.js";
import { createMerchant } from "../../src/domain/merchants/merchants.js";
import { createEndpoint, deleteEndpoint } from "../../src/domain/webhooks/endpoints.js";
import { newId } from "../../src/ids.js";
import { benchEnv, cleanup, CpuMeter, freePort, pidsByName, runRelease, secs, sleep, startProcess, stopProcess, waitUntil } from "../lib.js";
import { cpuPerOp } from "./context.js";

export interface DeliveryRun {
  /** Measured runs summed into this one (S5 measures each case twice, in A B C C B A order). */
  runs: number;
  events: number;
  /** Deliveries/s to the fast endpoint: from the commit of the events to the last one received. */
  fastPerSecond: number;
  fastSeconds: number;
  fastReceived: number;
  /** Slow endpoint (sleeps 2 s per request) deliveries received in the same window, if any. */
  slowReceived?: number;
  cpuMsPerDelivery: Record<string, number>;
}

export interface S5Result {
  alone: DeliveryRun;
  besideSlow: DeliveryRun;
  /** Control: beside a second fast endpoint, the same fan-out as besideSlow without the slowness. */
  besideFast?: DeliveryRun;
  config: Record<string, string | number>;
}

/**
 * S5 — outbound deliveries through a real worker process (relay loop → BullMQ → signed POST) to a
 * receiver in this process on 127.0.0.1 that answers 200 at once (`/fast/*`) or after 2 s (`/slow/*`).
 * Three cases, each a merchant of its own: one fast endpoint alone; a fast and a slow endpoint subscribed
 * to the same events (the fast one's rate must not drop); and, as a control, a fast endpoint beside
 * another fast one. Event rows are inserted in one transaction as the core writes them (redemption_id
 * null), then the clock runs until the measured fast endpoint has every one.
 */
export async function s5Deliveries(): Promise<S5Result> {
  const port = await freePort();
  const received = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      const key = req.url!.split("/")[1]!;
      const answer = () => {
        received.set(key, (received.get(key) ?? 0) + 1);
        res.writeHead(200).end();
      };
      if (key.startsWith("slow")) setTimeout(answer, 2000);
      else answer();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const bench = benchEnv(0, { WEBHOOK_ALLOW_HOSTS: "127.0.0.1", SWEEP_INTERVAL_MS: "600000" });
  let db: Db | undefined;
  let worker: ReturnType<typeof startProcess> | undefined;
  try {
    await runRelease(bench.env);
    db = createDb(bench.databaseUrl, 4);
    const config = loadConfig({ ...process.env, ...bench.env });
    worker = startProcess("jobs/main.js", bench.env);
    await sleep(1000); // worker connects and starts its relay loop
    // 12,000 events keep each run at several seconds: the relay's 200 ms tick starts a run up to 200 ms
    // after the commit, which was up to 15 % of a 4,000-event run (about 1.4 s).
    const measured = secs(12_000, 400);
    /** One run: the measured fast endpoint, and beside it (`second`) a slow or another fast one. */
    const run = async (tag: string, second: "slow" | "fast" | undefined, events = measured): Promise<DeliveryRun> => {
      const merchant = await createMerchant(db!, `bench-${tag}`);
      const scope = { merchantId: merchant.merchant, livemode: false };
      const secondEndpoint = await inTransaction(db!, async (trx) => {
        await createEndpoint(trx, scope, { url: `http://127.0.0.1:${port}/fast${tag}/hook`, enabled_events: ["*"] }, config.WEBHOOK_SECRET_KEY);
        const path = second === "slow" ? `slow${tag}` : `other-fast${tag}`;
        return second ? createEndpoint(trx, scope, { url: `http://127.0.0.1:${port}/${path}/hook`, enabled_events: ["*"] }, config.WEBHOOK_SECRET_KEY) : undefined;
      });
      const meter = new CpuMeter({ worker: () => [worker!.pid!], postgres: () => pidsByName("postgres"), redis: () => pidsByName("redis-server"), receiver: () => [process.pid] });
      const rows = Array.from({ length: events }, () => {
        const id = newId("event");
        const payload = JSON.stringify({ id, object: "event", type: "loyalty.redemption.created", data: { object: { id: "rdm_bench", object: "redemption", version: 1 } }, livemode: false, created: Math.floor(Date.now() / 1000) });
        return { id, merchant_id: scope.merchantId, livemode: false, type: "loyalty.redemption.created", redemption_id: null, version: 1, payload, published_at: null };
      });
      meter.start();
      await inTransaction(db!, async (trx) => {
        for (let at = 0; at < rows.length; at += 1000) await trx.insertInto("events").values(rows.slice(at, at + 1000)).execute();
      });
      const started = performance.now();
      await waitUntil(async () => (received.get(`fast${tag}`) ?? 0) >= events, secs(120, 60) * 1000, 10);
      const seconds = (performance.now() - started) / 1000;
      const cpu = meter.stop();
      const fast = received.get(`fast${tag}`) ?? 0;
      const slowReceived = received.get(`slow${tag}`) ?? 0;
      if (secondEndpoint) {
        // Its backlog would otherwise run on beside the next run (the last alone run is to be alone).
        // Deleted, the endpoint's due deliveries are cancelled; the sends in flight end within 2 s.
        await inTransaction(db!, (trx) => deleteEndpoint(trx, scope, secondEndpoint.id));
        await sleep(2_500);
      }
      return {
        runs: 1,
        events,
        fastReceived: fast,
        fastSeconds: seconds,
        fastPerSecond: fast / seconds,
        ...(second === "slow" ? { slowReceived } : {}),
        cpuMsPerDelivery: cpuPerOp(cpu.cpuSeconds, fast),
      };
    };
    // A fixed sleep does not tell when a worker on a busy machine has started: without this warm-up,
    // its module loading and queue set-up fell inside the first measured run. A run as large as a
    // measured one first, unmeasured: with only 300 warm-up deliveries the first measured run was still
    // warming up (JIT, Postgres plans and caches) and read 20–30 % slower than the second, which hid
    // what the slow endpoint costs the fast one.
    await run("w", undefined, measured);
    // A B C C B A: a machine that speeds up or slows down over the phase weighs on every case alike (one
    // run each, alone first, read the slow endpoint as costing anything from -25 % to 20 %). C, a second
    // fast endpoint, costs the same relay writes as the slow one plus a share of the worker's sends: a
    // slow endpoint that held the fast one back would cost more than C, not less.
    const alone1 = await run("a1", undefined);
    const slow1 = await run("b1", "slow");
    const fast1 = await run("c1", "fast");
    const fast2 = await run("c2", "fast");
    const slow2 = await run("b2", "slow");
    const alone2 = await run("a2", undefined);
    const alone = combined(alone1, alone2);
    const besideSlow = combined(slow1, slow2);
    const besideFast = combined(fast1, fast2);
    const cfg = loadConfig({ ...process.env, ...bench.env });
    return {
      alone,
      besideSlow,
      besideFast,
      config: {
        worker_processes: 1,
        WEBHOOK_DELIVERY_CONCURRENCY: cfg.WEBHOOK_DELIVERY_CONCURRENCY,
        WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT: cfg.WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT,
        WEBHOOK_RELAY_INTERVAL_MS: cfg.WEBHOOK_RELAY_INTERVAL_MS,
        DATABASE_POOL_SIZE: cfg.DATABASE_POOL_SIZE,
      },
    };
  } finally {
    if (worker) await stopProcess(worker, 10_000);
    await db?.destroy();
    server.closeAllConnections();
    server.close();
    await cleanup(bench);
  }
}

/** Two runs of one case as one: rates over the summed time, CPU per delivery weighted by deliveries. */
function combined(first: DeliveryRun, second: DeliveryRun): DeliveryRun {
  const fastReceived = first.fastReceived + second.fastReceived;
  const fastSeconds = first.fastSeconds + second.fastSeconds;
  const cpuMsPerDelivery: Record<string, number> = {};
  for (const key of Object.keys(first.cpuMsPerDelivery)) {
    cpuMsPerDelivery[key] = ((first.cpuMsPerDelivery[key] ?? 0) * first.fastReceived + (second.cpuMsPerDelivery[key] ?? 0) * second.fastReceived) / Math.max(1, fastReceived);
  }
  return {
    runs: first.runs + second.runs,
    events: first.events + second.events,
    fastReceived,
    fastSeconds,
    fastPerSecond: fastReceived / fastSeconds,
    ...(first.slowReceived === undefined ? {} : { slowReceived: first.slowReceived + (second.slowReceived ?? 0) }),
    cpuMsPerDelivery,
  };
}
