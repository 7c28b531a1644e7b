import type { Redis } from "ioredis";
import type { RedisClient } from "./redis.js";

/**
 * A counting semaphore per webhook endpoint, in Redis: at most `cap` sends in flight to one endpoint
 * across every worker process, so a slow or dead endpoint can hold only that many sends while the rest
 * keeps flowing. A delivery job takes several slots at once (the sends it will keep in flight) and
 * gives them back together. Each slot is a member with its lease expiry as score, so a worker that
 * dies mid-send frees its slots when the lease runs out; a Redis loss only resets the counts. Atomic
 * (one Lua script), and nothing waits on a lock: a full endpoint answers 0 at once.
 */
const ACQUIRE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local free = tonumber(ARGV[4]) - redis.call('ZCARD', KEYS[1])
local granted = math.min(free, tonumber(ARGV[5]))
if granted <= 0 then return 0 end
for i = 1, granted do redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3] .. '#' .. i) end
redis.call('PEXPIREAT', KEYS[1], ARGV[2])
return granted`;

type SlotRedis = Redis & { acquireEndpointSlots?: (key: string, now: number, until: number, holder: string, cap: number, want: number) => Promise<number> };

const slotKey = (prefix: string, endpointId: string) => `${prefix}:{deliveries}:slots:${endpointId}`;

/** Takes up to `want` of the endpoint's free slots for `holder`; answers how many it got (0: full). */
export async function acquireEndpointSlots(
  redis: RedisClient,
  prefix: string,
  endpointId: string,
  holder: string,
  options: { cap: number; want: number; leaseMs: number },
): Promise<number> {
  const client = redis as SlotRedis;
  if (!client.acquireEndpointSlots) client.defineCommand("acquireEndpointSlots", { numberOfKeys: 1, lua: ACQUIRE });
  const now = Date.now();
  return client.acquireEndpointSlots!(slotKey(prefix, endpointId), now, now + options.leaseMs, holder, options.cap, options.want);
}

export async function releaseEndpointSlots(redis: RedisClient, prefix: string, endpointId: string, holder: string, count: number): Promise<void> {
  if (count <= 0) return;
  await redis.zrem(slotKey(prefix, endpointId), ...Array.from({ length: count }, (_, i) => `${holder}#${i + 1}`));
}
