import type { RedisClient } from "../queue/redis.js";
import type { WebhookAttemptError } from "../db/tables/webhook-delivery.table.js";

/**
 * Outbound delivery attempts by outcome, counted by the workers in one Redis hash per deployment
 * (queue prefix), so any web process's /metrics reports the whole fleet — the same arrangement as
 * BullMQ's own job metrics. Fields: `succeeded`, or `failed:<error class>`. Monotonic while Redis
 * keeps the key; a Redis loss resets it, which Prometheus reads as a counter reset.
 */
const key = (prefix: string) => `${prefix}:metrics:webhook-attempts`;

export type AttemptOutcome = { outcome: "succeeded" } | { outcome: "failed"; error: WebhookAttemptError };

/** Best effort: a metric must never fail or delay a delivery whose outcome is already in Postgres. */
export async function countAttempt(redis: RedisClient, prefix: string, error: WebhookAttemptError | null): Promise<void> {
  await redis.hincrby(key(prefix), error === null ? "succeeded" : `failed:${error}`, 1).catch(() => {});
}

export async function readAttemptCounts(redis: RedisClient, prefix: string): Promise<{ outcome: string; error: string; count: number }[]> {
  const fields = await redis.hgetall(key(prefix));
  return Object.entries(fields).map(([field, count]) => {
    const [outcome, error] = field.split(":") as [string, string | undefined];
    return { outcome, error: error ?? "", count: Number(count) };
  });
}
