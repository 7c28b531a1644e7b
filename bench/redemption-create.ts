import { randomUUID } from "node:crypto";
import { createDb } from "../src/db/client.js";
import { createMerchant } from "../src/domain/merchants/merchants.js";
import { apiClient, benchEnv, cleanup, fmt, percentile, runRelease, startProcess, stopProcess, waitForHttp } from "./lib.js";

/**
 * Redemption-create latency and throughput through the real path: HTTP → web process → BullMQ →
 * worker process → Postgres transaction → outcome back to the waiting request.
 *
 *   npm run bench                 (defaults: 500 sequential, 32 clients × 10 s)
 *   SEQUENTIAL=1000 CLIENTS=32 SECONDS=15 npm run bench
 */
const SEQUENTIAL = Number(process.env.SEQUENTIAL ?? 500);
const CLIENTS = Number(process.env.CLIENTS ?? 32);
const SECONDS = Number(process.env.SECONDS ?? 10);
const ACCOUNTS = Number(process.env.ACCOUNTS ?? 256);
const WORKERS = Number(process.env.WORKERS ?? 1);

const bench = benchEnv(Number(process.env.PORT ?? 3917), { WORKER_CONCURRENCY: process.env.WORKER_CONCURRENCY ?? "32" });
await runRelease(bench.env);
const db = createDb(bench.databaseUrl, 2);
const merchant = await createMerchant(db, "bench");
await db.destroy();

const web = startProcess("src/bin/web.js", bench.env);
const workers = Array.from({ length: WORKERS }, () => startProcess("jobs/main.js", bench.env));
try {
  await waitForHttp(bench.port);
  const api = apiClient(bench.port, merchant.secret_key_test, CLIENTS * 2);
  const reward = await api.call("POST", "/v1/loyalty/rewards", { name: "5 off", type: "discount_amount", cost: 1, value: { amount: 500, currency: "EUR" } });
  const accounts: string[] = [];
  for (let i = 0; i < ACCOUNTS; i++) {
    const account = await api.call("POST", "/v1/loyalty/accounts", { customer: `bench_${i}` });
    await api.call("POST", "/v1/loyalty/transactions", { account: account.body.id, amount: 1_000_000, reason: "bench" });
    accounts.push(account.body.id);
  }
  const redeem = async (account: string) => {
    const started = performance.now();
    const res = await api.call("POST", "/v1/loyalty/redemptions", { account, reward: reward.body.id }, { "idempotency-key": randomUUID() });
    if (res.status !== 201) throw new Error(`unexpected ${res.status}: ${JSON.stringify(res.body)}`);
    return performance.now() - started;
  };

  // Warm-up: JIT, connection pools, prepared plans.
  for (let i = 0; i < 50; i++) await redeem(accounts[i % ACCOUNTS]!);

  const sequential: number[] = [];
  for (let i = 0; i < SEQUENTIAL; i++) sequential.push(await redeem(accounts[i % ACCOUNTS]!));
  sequential.sort((a, b) => a - b);

  const concurrent: number[] = [];
  const deadline = performance.now() + SECONDS * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, client) => {
      for (let i = 0; performance.now() < deadline; i++) concurrent.push(await redeem(accounts[(client * 7919 + i) % ACCOUNTS]!));
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  concurrent.sort((a, b) => a - b);
  await api.pool.close();

  console.log(`redemption create — web ×1, worker ×${WORKERS} (concurrency ${bench.env.WORKER_CONCURRENCY}), ${ACCOUNTS} accounts`);
  console.log(`sequential (n=${SEQUENTIAL}): p50 ${fmt(percentile(sequential, 50))}  p99 ${fmt(percentile(sequential, 99))}  max ${fmt(sequential.at(-1)!)}`);
  console.log(
    `${CLIENTS} concurrent clients, ${elapsed.toFixed(1)} s: ${(concurrent.length / elapsed).toFixed(0)} redemptions/s  ` +
      `p50 ${fmt(percentile(concurrent, 50))}  p99 ${fmt(percentile(concurrent, 99))}  (n=${concurrent.length})`,
  );
} finally {
  await Promise.all([stopProcess(web), ...workers.map(stopProcess)]);
  await cleanup(bench);
}
