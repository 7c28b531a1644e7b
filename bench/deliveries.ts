/**
 * Outbound webhook throughput: deliveries/s from event rows to a receiver on 127.0.0.1 that verifies
 * nothing and answers 200. Bounded: EVENTS events, then it stops, drops its database and queue keys.
 *   npm run build && node dist/bench/deliveries.js   (EVENTS=2000 ENDPOINTS=1 to change the shape)
 */
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Redis } from "ioredis";
import pg from "pg";
import { buildWorkerDeps, closeWorkerDeps } from "../jobs/deps.js";
import { startWorkers } from "../jobs/worker.js";
import { loadConfig } from "../src/config.js";
import { connectionConfig, createDb } from "../src/db/client.js";
import { inTransaction } from "../src/db/transaction.js";
import { migrateToLatest } from "../src/db/migrate.js";
import { createMerchant } from "../src/domain/merchants/merchants.js";
import { createEndpoint } from "../src/domain/webhooks/endpoints.js";
import { newId } from "../src/ids.js";

const EVENTS = Number(process.env.EVENTS ?? 2000);
const ENDPOINTS = Number(process.env.ENDPOINTS ?? 1);
const ADMIN_URL = process.env.BENCH_DATABASE_ADMIN_URL ?? "postgres://127.0.0.1:5432/postgres";
const suffix = randomBytes(4).toString("hex");
const dbName = `lr_bench_${suffix}`;
const dbUrl = Object.assign(new URL(ADMIN_URL), { pathname: `/${dbName}` }).toString();

async function admin(sql: string) {
  const client = new pg.Client(connectionConfig(ADMIN_URL));
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

let received = 0;
const server = createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    received++;
    res.writeHead(200).end();
  });
});
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const port = (server.address() as AddressInfo).port;

await admin(`CREATE DATABASE "${dbName}"`);
const config = loadConfig({
  ...process.env,
  DATABASE_URL: dbUrl,
  QUEUE_PREFIX: `lrbench_${suffix}`,
  LOG_LEVEL: "silent",
  WEBHOOK_ALLOW_HOSTS: "127.0.0.1",
  DATABASE_POOL_SIZE: process.env.DATABASE_POOL_SIZE ?? "20",
  WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT: process.env.WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT ?? "64",
  SWEEP_INTERVAL_MS: "600000",
});
const deps = buildWorkerDeps(config);
try {
  await migrateToLatest(deps.db);
  const merchant = await createMerchant(deps.db, "Bench");
  const scope = { merchantId: merchant.merchant, livemode: false };
  await inTransaction(deps.db, async (trx) => {
    for (let i = 0; i < ENDPOINTS; i++) {
      await createEndpoint(trx, scope, { url: `http://127.0.0.1:${port}/hooks/${i}`, enabled_events: ["*"] }, config.WEBHOOK_SECRET_KEY);
    }
  });
  // Event rows shaped as the core writes them; redemption_id stays null (it references redemptions,
  // which this bench does not create), which the events table allows.
  for (let batch = 0; batch < EVENTS; batch += 500) {
    const rows = Array.from({ length: Math.min(500, EVENTS - batch) }, () => {
      const id = newId("event");
      const payload = JSON.stringify({ id, object: "event", type: "loyalty.redemption.created", data: { object: { id: "rdm_bench", object: "redemption", version: 1 } }, livemode: false, created: Math.floor(Date.now() / 1000) });
      return { id, merchant_id: scope.merchantId, livemode: false, type: "loyalty.redemption.created", redemption_id: null, version: 1, payload, published_at: null };
    });
    await deps.db.insertInto("events").values(rows).execute();
  }
  const expected = EVENTS * ENDPOINTS;
  const started = performance.now();
  const running = startWorkers(deps, { sweepers: false });
  while (received < expected) await new Promise((resolve) => setTimeout(resolve, 20));
  const seconds = (performance.now() - started) / 1000;
  await running.close();
  console.log(
    JSON.stringify({
      deliveries: expected,
      endpoints: ENDPOINTS,
      seconds: Number(seconds.toFixed(2)),
      deliveries_per_second: Math.round(expected / seconds),
      concurrency: config.WEBHOOK_DELIVERY_CONCURRENCY,
    }),
  );
} finally {
  await closeWorkerDeps(deps);
  server.close();
  const redis = new Redis(config.REDIS_URL);
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${config.QUEUE_PREFIX}:*`, "COUNT", 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== "0");
  redis.disconnect();
  await admin(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
}
