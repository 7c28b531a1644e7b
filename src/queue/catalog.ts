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
  /** Lifecycle timers: auto-release of pending discounts at `expires_at`. */
  lifecycle: "{lifecycle}",
  /** Outbound webhook deliveries: a job delivers one endpoint's due deliveries; the schedule lives in Postgres. */
  deliveries: "{deliveries}",
} as const;

export type QueueKey = keyof typeof QUEUES;

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
  "expire-redemption": {
    queue: "lifecycle",
    // The discounts one group commit created: their `expires_at` lie within moments of each other, so
    // one timer serves them all. A job from before batching carries `redemptionId`: still run.
    payload: z.union([z.object({ redemptionIds: z.array(z.string()).min(1).max(1_000) }), z.object({ redemptionId: z.string() })]),
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
