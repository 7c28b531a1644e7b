import { Queue, QueueEvents } from "bullmq";
import { Redis } from "ioredis";
import { randomBytes } from "node:crypto";
import { closedLoop, REDIS_URL, secs, startHelper, stopProcess, type LoadResult } from "../lib.js";

export interface BullmqCeiling extends LoadResult {
  clients: number;
  concurrency: number;
}

/**
 * BullMQ ceiling: an empty job added, processed by a worker in another process (concurrency as the
 * service's WORKER_CONCURRENCY), and its completion observed through QueueEvents — the same round trip
 * a redemption create makes through Redis, with no work in it. Closed loop, `clients` producers.
 */
export async function bullmqCeiling(clients = 32, concurrency = 16): Promise<BullmqCeiling> {
  const prefix = `lrb_ceiling_${randomBytes(4).toString("hex")}`;
  const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue("{ceiling}", { connection, prefix, defaultJobOptions: { removeOnComplete: { count: 1000 }, removeOnFail: true } });
  const events = new QueueEvents("{ceiling}", { connection: { url: REDIS_URL }, prefix });
  queue.setMaxListeners(clients * 2 + 10);
  events.setMaxListeners(clients * 2 + 10);
  const child = await startHelper("bench/ceilings/bullmq-worker.js", [], { BENCH_PREFIX: prefix, BENCH_CONCURRENCY: String(concurrency) });
  try {
    await events.waitUntilReady();
    const op = async () => {
      const job = await queue.add("empty", {});
      await job.waitUntilFinished(events, 10_000);
    };
    await closedLoop(clients, secs(2, 0.5) * 1000, op);
    const result = await closedLoop(clients, secs(8, 2) * 1000, op);
    return { ...result, clients, concurrency };
  } finally {
    await stopProcess(child);
    await events.close();
    await queue.obliterate({ force: true }).catch(() => {});
    await queue.close();
    let cursor = "0";
    for (let i = 0; i < 10_000; i++) {
      const [next, keys] = await connection.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
      if (keys.length > 0) await connection.del(...keys);
      cursor = next;
      if (cursor === "0") break;
    }
    connection.disconnect();
  }
}
