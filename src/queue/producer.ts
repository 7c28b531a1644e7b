import { Queue, type Job } from "bullmq";
import type { Redis } from "ioredis";
import { DEFAULT_JOB_OPTIONS, JOBS, QUEUES, type JobName, type JobPayload, type QueueKey } from "./catalog.js";

export type Queues = Record<QueueKey, Queue>;

export function createQueues(connection: Redis, prefix: string): Queues {
  const entries = Object.entries(QUEUES).map(([key, name]) => [
    key,
    new Queue(name, { connection, prefix, defaultJobOptions: DEFAULT_JOB_OPTIONS }),
  ]);
  return Object.fromEntries(entries) as Queues;
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
  return queues[JOBS[name].queue].add(name, JOBS[name].payload.parse(payload), options);
}

/** Adds many jobs of one kind in one round trip (same dedupe by `jobId` as `enqueue`). */
export async function enqueueMany<N extends JobName>(
  queues: Queues,
  name: N,
  jobs: { payload: JobPayload<N>; jobId: string; delay?: number }[],
): Promise<void> {
  if (jobs.length === 0) return;
  await queues[JOBS[name].queue].addBulk(
    jobs.map((job) => ({ name, data: JOBS[name].payload.parse(job.payload), opts: { ...DEFAULT_JOB_OPTIONS, jobId: job.jobId, ...(job.delay ? { delay: job.delay } : {}) } })),
  );
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
  const existing = await queues[JOBS[name].queue].getJob(options.jobId);
  const state = existing ? await existing.getState() : "missing";
  if (state === "failed") return existing!.retry("failed");
  // A completed job whose row is still due (e.g. it ran against a since-restored database): run again.
  if (state === "completed") await existing!.remove();
  if (state === "completed" || state === "missing" || state === "unknown") await enqueue(queues, name, payload, options);
}
