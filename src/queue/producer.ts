import { Queue, type Job, type JobsOptions } from "bullmq";
import type { DependencyMonitor } from "../ops/dependency-monitor.js";
import type { RedisClient } from "./redis.js";
import { DEFAULT_JOB_OPTIONS, JOBS, PARTITIONED, QUEUES, partitionOf, queueName, type JobName, type JobPayload, type QueueKey } from "./catalog.js";

/**
 * Each queue by its key (for a partitioned queue: its partition 0), and every queue of each key in
 * `partitions` (one for the queues that are not partitioned).
 */
export type Queues = Record<QueueKey, Queue> & { readonly partitions: Readonly<Record<QueueKey, Queue[]>> };

/**
 * The queues share one fail-fast producer connection. BullMQ's own version check is skipped: it is a
 * command that, sent to a Redis that stopped answering, would fail the queue's initialisation for good.
 */
export function createQueues(connection: RedisClient, prefix: string, monitor?: DependencyMonitor, partitionCount = 1): Queues {
  const open = (name: string) => {
    const queue = new Queue(name, { connection, prefix, defaultJobOptions: DEFAULT_JOB_OPTIONS, skipVersionCheck: true });
    // Without a listener BullMQ prints every connection error with console.error.
    queue.on("error", (error) => monitor?.down("redis", error));
    return queue;
  };
  const partitions = Object.fromEntries(
    (Object.keys(QUEUES) as QueueKey[]).map((key) => [key, Array.from({ length: PARTITIONED.includes(key) ? partitionCount : 1 }, (_, p) => open(queueName(key, p)))]),
  ) as Record<QueueKey, Queue[]>;
  const first = Object.fromEntries(Object.entries(partitions).map(([key, list]) => [key, list[0]!])) as Record<QueueKey, Queue>;
  return { ...first, partitions };
}

/** Every queue, partitions included (for closing, metrics, the dashboard). */
export const allQueues = (queues: Queues): Queue[] => Object.values(queues.partitions).flat();

/** The queue a job of `name` goes to: its merchant's partition (partition 0 when none is named). */
function queueFor(queues: Queues, name: JobName, merchant?: string): Queue {
  const list = queues.partitions[JOBS[name].queue];
  return list[partitionOf(merchant, list.length)]!;
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
  await Promise.all(allQueues(queues).map((queue) => queue.close()));
}

/** Adds a job; while a job with the same `jobId` is still in Redis, BullMQ returns it instead. */
export async function enqueue<N extends JobName>(
  queues: Queues,
  name: N,
  payload: JobPayload<N>,
  options: { jobId: string; delay?: number; merchant?: string },
): Promise<Job> {
  const { merchant, ...jobOptions } = options;
  return ready(queueFor(queues, name, merchant)).add(name, JOBS[name].payload.parse(payload), jobOptions);
}

/** Adds many jobs of one kind in one round trip (same dedupe by `jobId` as `enqueue`). */
export async function enqueueMany<N extends JobName>(
  queues: Queues,
  name: N,
  jobs: { payload: JobPayload<N>; jobId: string; delay?: number; priority?: number; merchant?: string }[],
): Promise<void> {
  const byQueue = new Map<Queue, { name: N; data: unknown; opts: JobsOptions }[]>();
  for (const job of jobs) {
    const queue = ready(queueFor(queues, name, job.merchant));
    const opts = { ...DEFAULT_JOB_OPTIONS, jobId: job.jobId, ...(job.delay ? { delay: job.delay } : {}), ...(job.priority ? { priority: job.priority } : {}) };
    byQueue.set(queue, [...(byQueue.get(queue) ?? []), { name, data: JOBS[name].payload.parse(job.payload), opts }]);
  }
  await Promise.all(
    [...byQueue].map(([queue, bulk]) =>
      // addBulk wraps its scripts in MULTI/EXEC: for the common lone job (a quiet moment) that is two
      // commands more than one add.
      bulk.length === 1 ? queue.add(bulk[0]!.name, bulk[0]!.data, bulk[0]!.opts) : queue.addBulk(bulk),
    ),
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
  options: { jobId: string; merchant?: string },
): Promise<void> {
  const existing = await ready(queueFor(queues, name, options.merchant)).getJob(options.jobId);
  const state = existing ? await existing.getState() : "missing";
  if (state === "failed") return existing!.retry("failed");
  // A completed job whose row is still due (e.g. it ran against a since-restored database): run again.
  if (state === "completed") await existing!.remove();
  if (state === "completed" || state === "missing" || state === "unknown") await enqueue(queues, name, payload, options);
}
