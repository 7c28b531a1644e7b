/** Ceiling helper process: a BullMQ worker whose job does nothing (BENCH_PREFIX, BENCH_CONCURRENCY). */
import { Worker } from "bullmq";
import { REDIS_URL } from "../lib.js";

const worker = new Worker("{ceiling}", async () => ({ ok: true }), {
  connection: { url: REDIS_URL, maxRetriesPerRequest: null },
  prefix: process.env.BENCH_PREFIX!,
  concurrency: Number(process.env.BENCH_CONCURRENCY ?? 16),
});
await worker.waitUntilReady();
console.log("ready");
process.on("SIGTERM", () => void worker.close().then(() => process.exit(0)));
