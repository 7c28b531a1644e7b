import { randomUUID } from "node:crypto";
import { Queue } from "bullmq";
import { createDb } from "../src/db/client.js";
import { createMerchant } from "../src/domain/merchants/merchants.js";
import { apiClient, benchEnv, cleanup, percentile, runRelease, startProcess, stopProcess, waitForHttp } from "./lib.js";

const bench = benchEnv(3931, { WORKER_CONCURRENCY: "32" });
await runRelease(bench.env);
const db = createDb(bench.databaseUrl, 2);
const merchant = await createMerchant(db, "bench");
const web = startProcess("src/bin/web.js", bench.env);
const worker = startProcess("jobs/main.js", bench.env);
try {
  await waitForHttp(bench.port);
  const api = apiClient(bench.port, merchant.secret_key_test, 4);
  const reward = await api.call("POST", "/v1/loyalty/rewards", { name: "x", type: "discount_amount", cost: 1, value: { amount: 5, currency: "EUR" } });
  const account = await api.call("POST", "/v1/loyalty/accounts", {});
  await api.call("POST", "/v1/loyalty/transactions", { account: account.body.id, amount: 1_000_000, reason: "b" });
  const total: number[] = [];
  for (let i = 0; i < 300; i++) {
    const t = performance.now();
    await api.call("POST", "/v1/loyalty/redemptions", { account: account.body.id, reward: reward.body.id }, { "idempotency-key": randomUUID() });
    total.push(performance.now() - t);
  }
  const queue = new Queue("{requests}", { connection: { url: bench.env.REDIS_URL }, prefix: bench.prefix });
  const jobs = await queue.getJobs(["completed"], 0, 299);
  const wait = jobs.map((j) => j.processedOn! - j.timestamp).sort((a, b) => a - b);
  const run = jobs.map((j) => j.finishedOn! - j.processedOn!).sort((a, b) => a - b);
  total.sort((a, b) => a - b);
  console.log("total p50", percentile(total, 50).toFixed(1), "p99", percentile(total, 99).toFixed(1));
  console.log("queue wait p50", percentile(wait, 50), "p99", percentile(wait, 99));
  console.log("job run p50", percentile(run, 50), "p99", percentile(run, 99));
  await queue.close();
  await api.pool.close();
} finally {
  await db.destroy();
  await Promise.all([stopProcess(web), stopProcess(worker)]);
  await cleanup(bench);
}
