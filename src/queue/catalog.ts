import type { JobsOptions } from "bullmq";
import { z } from "zod";

/**
 * Every queue and job the service uses. Payloads carry ids only: the job re-reads its row from
 * Postgres, so a job that runs twice, late, or after a Redis loss acts on the truth, not on a copy.
 *
 * Queue names are wrapped in a Redis Cluster hash tag, so each queue's keys share one slot.
 */
export const QUEUES = {
  /** REST operations that change redemptions (create, fulfill, reverse, release). */
  requests: "{requests}",
  /** Stored inbound webhooks (payments, warehouse) to process. */
  inbound: "{inbound}",
  /** Outbound webhook deliveries: a job delivers one endpoint's due deliveries; the schedule lives in Postgres. */
  deliveries: "{deliveries}",
} as const;

export type QueueKey = keyof typeof QUEUES;

/**
 * The queues that carry the hot paths, split into QUEUE_PARTITIONS queues each, so that on a Redis
 * Cluster their load spreads over the masters (one queue's keys live in one slot, on one master). A
 * job goes to the partition of its merchant, so one merchant's jobs stay in one FIFO: the order the
 * design relies on (a merchant's inbound webhooks applied in arrival order) is kept. Deliveries are
 * light and stay whole.
 */
export const PARTITIONED: readonly QueueKey[] = ["requests", "inbound"];

/**
 * Partition 0 keeps the queue's plain name: QUEUE_PARTITIONS=1 is the unpartitioned layout, and raising
 * the number later keeps serving what partition 0 already holds. Each name is its own hash tag.
 */
export function queueName(key: QueueKey, partition: number): string {
  return partition === 0 ? QUEUES[key] : `{${key}-${partition}}`;
}

/** The partition (of `count`) a merchant's jobs go to: FNV-1a of the id, so every process agrees. */
export function partitionOf(merchant: string | undefined, count: number): number {
  if (count <= 1 || merchant === undefined) return 0;
  let hash = 0x811c9dc5;
  for (let i = 0; i < merchant.length; i++) hash = Math.imul(hash ^ merchant.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % count;
}

export const JOBS = {
  "execute-request": {
    queue: "requests",
    // The requests the web process stored together (or one, re-driven alone). A job from before
    // batching carries `requestId`: still run, so an upgrade loses nothing queued.
    // `merchant` (whose requests they are) lets the worker share its transactions fairly between merchants.
    payload: z.union([z.object({ requestIds: z.array(z.string()).min(1).max(1_000), merchant: z.string().optional() }), z.object({ requestId: z.string() })]),
  },
  "process-inbound-webhook": {
    queue: "inbound",
    // The rows one web batch stored for one merchant, applied in order (or one, re-driven alone). A
    // job from before batching carries `inboxId`: still run, so an upgrade loses nothing queued.
    payload: z.union([z.object({ inboxIds: z.array(z.string()).min(1).max(1_000) }), z.object({ inboxId: z.string() })]),
  },
  "deliver-webhook": {
    queue: "deliveries",
    // The endpoint whose due deliveries the job claims and sends. A job naming a delivery (queued
    // before the upgrade, or by redeliver and recover) delivers that delivery's endpoint.
    payload: z.union([z.object({ endpointId: z.string() }), z.object({ deliveryId: z.string(), endpointId: z.string().optional() })]),
  },
} as const satisfies Record<string, { queue: QueueKey; payload: z.ZodType }>;

export type JobName = keyof typeof JOBS;
export type JobPayload<N extends JobName> = z.infer<(typeof JOBS)[N]["payload"]>;

export const DEFAULT_JOB_OPTIONS: JobsOptions = {
  // Infrastructure failures (Postgres restarting) are retried; business refusals are results, not failures.
  attempts: 5,
  backoff: { type: "exponential", delay: 200 },
  // Postgres holds the outcome; Redis keeps little, so memory stays flat under load.
  removeOnComplete: { count: 1000 },
  removeOnFail: { age: 7 * 86_400, count: 10_000 },
};
