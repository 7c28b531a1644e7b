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

/**
 * Counts a batch of recorded attempts, one HINCRBY per outcome in one round trip. Best effort: a
 * metric must never fail a delivery whose outcome is already in Postgres.
 */
export async function countAttempts(redis: RedisClient, prefix: string, errors: (WebhookAttemptError | null)[]): Promise<void> {
  if (errors.length === 0) return;
  const byField = new Map<string, number>();
  for (const error of errors) {
    const field = error === null ? "succeeded" : `failed:${error}`;
    byField.set(field, (byField.get(field) ?? 0) + 1);
  }
  const pipeline = redis.pipeline();
  for (const [field, count] of byField) pipeline.hincrby(key(prefix), field, count);
  await pipeline.exec().catch(() => {});
}

export async function readAttemptCounts(redis: RedisClient, prefix: string): Promise<{ outcome: string; error: string; count: number }[]> {
  const fields = await redis.hgetall(key(prefix));
  return Object.entries(fields).map(([field, count]) => {
    const [outcome, error] = field.split(":") as [string, string | undefined];
    return { outcome, error: error ?? "", count: Number(count) };
  });
}
