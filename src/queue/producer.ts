import { Queue, type Job } from "bullmq";
import type { DependencyMonitor } from "../ops/dependency-monitor.js";
import type { RedisClient } from "./redis.js";
import { DEFAULT_JOB_OPTIONS, JOBS, QUEUES, type JobName, type JobPayload, type QueueKey } from "./catalog.js";

export type Queues = Record<QueueKey, Queue>;

/**
 * The queues share one fail-fast producer connection. BullMQ's own version check is skipped: it is a
 * command that, sent to a Redis that stopped answering, would fail the queue's initialisation for good.
 */
export function createQueues(connection: RedisClient, prefix: string, monitor?: DependencyMonitor): Queues {
  const entries = Object.entries(QUEUES).map(([key, name]) => {
    const queue = new Queue(name, { connection, prefix, defaultJobOptions: DEFAULT_JOB_OPTIONS, skipVersionCheck: true });
    // Without a listener BullMQ prints every connection error with console.error.
    queue.on("error", (error) => monitor?.down("redis", error));
    return [key, queue];
  });
  return Object.fromEntries(entries) as Queues;
}

/**
 * While the producer connection is not ready BullMQ would hold the command until it is, however long
 * that takes (and then run it, long after its caller gave up). Fail at once instead.
 */
function ready(queue: Queue): Queue {
  const status = (queue.opts.connection as RedisClient).status;
  if (status !== "ready") throw new QueueUnavailable(status);
  return queue;
}

export class QueueUnavailable extends Error {
  constructor(status: string) {
    super(`Redis connection is not ready (${status}): Connection is closed`);
  }
}

export async function closeQueues(queues: Queues): Promise<void> {
  await Promise.all(Object.values(queues).map((queue) => queue.close()));
}

/** Adds a job; while a job with the same `jobId` is still in Redis, BullMQ returns it instead. */
export async function enqueue<N extends JobName>(
  queues: Queues,
  name: N,
  payload: JobPayload<N>,
  options: { jobId: string; delay?: number },
): Promise<Job> {
  return ready(queues[JOBS[name].queue]).add(name, JOBS[name].payload.parse(payload), options);
}

/** Adds many jobs of one kind in one round trip (same dedupe by `jobId` as `enqueue`). */
export async function enqueueMany<N extends JobName>(
  queues: Queues,
  name: N,
  jobs: { payload: JobPayload<N>; jobId: string; delay?: number; priority?: number }[],
): Promise<void> {
  if (jobs.length === 0) return;
  const queue = ready(queues[JOBS[name].queue]);
  const bulk = jobs.map((job) => ({
    name,
    data: JOBS[name].payload.parse(job.payload),
    opts: { ...DEFAULT_JOB_OPTIONS, jobId: job.jobId, ...(job.delay ? { delay: job.delay } : {}), ...(job.priority ? { priority: job.priority } : {}) },
  }));
  // addBulk wraps its scripts in MULTI/EXEC: for the common lone job (a quiet moment) that is two
  // commands more than one add.
  if (bulk.length === 1) await queue.add(bulk[0]!.name, bulk[0]!.data, bulk[0]!.opts);
  else await queue.addBulk(bulk);
}

/**
 * For sweepers re-driving work from Postgres: like `enqueue`, but a job left in the failed set
 * (retries exhausted during an outage) is retried, so the re-drive is not swallowed by the dedupe.
 */
export async function redrive<N extends JobName>(
  queues: Queues,
  name: N,
  payload: JobPayload<N>,
  options: { jobId: string },
): Promise<void> {
  const existing = await ready(queues[JOBS[name].queue]).getJob(options.jobId);
  const state = existing ? await existing.getState() : "missing";
  if (state === "failed") return existing!.retry("failed");
  // A completed job whose row is still due (e.g. it ran against a since-restored database): run again.
  if (state === "completed") await existing!.remove();
  if (state === "completed" || state === "missing" || state === "unknown") await enqueue(queues, name, payload, options);
}
