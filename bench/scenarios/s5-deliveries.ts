import { createServer, type Server } from "node:http";
import { loadConfig } from "../../src/config.js";
import { createDb } from "../../src/db/client.js";
import type { Db } from "../../src/db/database.js";
import { inTransaction } from "../../src/db/transaction.js";
import { createMerchant } from "../../src/domain/merchants/merchants.js";
import { createEndpoint } from "../../src/domain/webhooks/endpoints.js";
import { newId } from "../../src/ids.js";
import { benchEnv, cleanup, CpuMeter, freePort, pidsByName, runRelease, secs, sleep, startProcess, stopProcess, waitUntil } from "../lib.js";
import { cpuPerOp } from "./context.js";

export interface DeliveryRun {
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
  config: Record<string, string | number>;
}

/**
 * S5 — outbound deliveries through a real worker process (relay loop → BullMQ → signed POST) to a
 * receiver in this process on 127.0.0.1 that answers 200 at once (`/fast/*`) or after 2 s (`/slow/*`).
 * Run 1: one fast endpoint. Run 2 (another merchant): a fast and a slow endpoint subscribed to the same
 * events; the fast one's rate must not drop. Event rows are inserted in one transaction as the core
 * writes them (redemption_id null), then the clock runs until the fast endpoint has every one.
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
    const measured = secs(4000, 400);
    const run = async (tag: string, slow: boolean, events = measured): Promise<DeliveryRun> => {
      const merchant = await createMerchant(db!, `bench-${tag}`);
      const scope = { merchantId: merchant.merchant, livemode: false };
      await inTransaction(db!, async (trx) => {
        await createEndpoint(trx, scope, { url: `http://127.0.0.1:${port}/fast${tag}/hook`, enabled_events: ["*"] }, config.WEBHOOK_SECRET_KEY);
        if (slow) await createEndpoint(trx, scope, { url: `http://127.0.0.1:${port}/slow${tag}/hook`, enabled_events: ["*"] }, config.WEBHOOK_SECRET_KEY);
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
      return {
        events,
        fastReceived: fast,
        fastSeconds: seconds,
        fastPerSecond: fast / seconds,
        ...(slow ? { slowReceived: received.get(`slow${tag}`) ?? 0 } : {}),
        cpuMsPerDelivery: cpuPerOp(cpu.cpuSeconds, fast),
      };
    };
    // A fixed sleep does not tell when a worker on a busy machine has started: without this warm-up,
    // its module loading and queue set-up fell inside the first measured run. A run as large as a
    // measured one first, unmeasured: with only 300 warm-up deliveries the first measured run was still
    // warming up (JIT, Postgres plans and caches) and read 20–30 % slower than the second, which hid
    // what the slow endpoint costs the fast one.
    await run("w", false, measured);
    const alone = await run("a", false);
    const besideSlow = await run("b", true);
    const cfg = loadConfig({ ...process.env, ...bench.env });
    return {
      alone,
      besideSlow,
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
