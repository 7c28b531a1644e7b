import type { RedisClient } from "./redis.js";

/** The pub/sub channel on which workers announce the stored requests whose outcome has committed. */
export const outcomeChannel = (queuePrefix: string) => `${queuePrefix}:requests:done`;

/**
 * Tells every web process that these requests' outcomes are in Postgres: one PUBLISH per group commit,
 * right after its COMMIT. Only a wake-up (the answer is read from Postgres, so no response body ever
 * goes through Redis), and fire and forget: a lost notice costs the waiting handler a poll's latency.
 */
export function announceOutcomes(redis: RedisClient, queuePrefix: string, requestIds: string[]): void {
  if (requestIds.length === 0) return;
  redis.publish(outcomeChannel(queuePrefix), requestIds.join(",")).catch(() => {
    // Redis away: the producer connection's monitor reports it; the handlers poll.
  });
}
