import type { Redis } from "ioredis";
import type { RedisClient } from "./redis.js";

/**
 * A counting semaphore per webhook endpoint, in Redis: at most `cap` sends in flight to one endpoint
 * across every worker process, so a slow or dead endpoint can hold only that many worker slots while
 * the rest of the pool keeps flowing. Each holder is a member with its lease expiry as score, so a
 * worker that dies mid-send frees its slot when the lease runs out; a Redis loss only resets the
 * counts. Atomic (one Lua script), and nothing waits on a lock: a busy endpoint answers "no" at once.
 */
const ACQUIRE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
redis.call('PEXPIREAT', KEYS[1], ARGV[2])
return 1`;

type SlotRedis = Redis & { acquireEndpointSlot?: (key: string, now: number, until: number, token: string, cap: number) => Promise<number> };

const slotKey = (prefix: string, endpointId: string) => `${prefix}:{deliveries}:slots:${endpointId}`;

export async function acquireEndpointSlot(
  redis: RedisClient,
  prefix: string,
  endpointId: string,
  holder: string,
  options: { cap: number; leaseMs: number },
): Promise<boolean> {
  const client = redis as SlotRedis;
  if (!client.acquireEndpointSlot) client.defineCommand("acquireEndpointSlot", { numberOfKeys: 1, lua: ACQUIRE });
  const now = Date.now();
  return (await client.acquireEndpointSlot!(slotKey(prefix, endpointId), now, now + options.leaseMs, holder, options.cap)) === 1;
}

export async function releaseEndpointSlot(redis: RedisClient, prefix: string, endpointId: string, holder: string): Promise<void> {
  await redis.zrem(slotKey(prefix, endpointId), holder);
}
