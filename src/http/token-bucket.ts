import type { Redis } from "ioredis";
import type { RedisClient } from "../queue/redis.js";

/**
 * A token bucket per key, kept as one timestamp (GCRA, the "generic cell rate algorithm"): a key may
 * make `burst` requests at once, and after that one every 1/`perSecond` s, so a key that floods is
 * admitted evenly at its rate, never as a whole second's allowance at the start of each second (which
 * is what fixed windows do: 4× the rate for a quarter of every second, felt by every other tenant).
 *
 * The state is the key's "theoretical arrival time" (tat): when its bucket would be full again. A
 * request is admitted when tat + interval − burst·interval ≤ now, and moves tat on by one interval.
 * A key whose tat has passed is a full bucket, so the state expires then and nothing is kept for idle
 * keys. All times are microseconds.
 */
export interface BucketShape {
  /** Microseconds one request costs: 10⁶ / perSecond. */
  intervalUs: number;
  /** How far ahead of now tat may run: burst · intervalUs. */
  toleranceUs: number;
}

export interface Admission {
  allowed: boolean;
  /** Requests the key could still make right now. */
  remaining: number;
  /** Microseconds until the bucket is full again. */
  untilFullUs: number;
  /** Microseconds until one more request would be admitted (0 when this one was). */
  retryAfterUs: number;
}

export function bucketShape(perSecond: number, burst: number): BucketShape {
  const intervalUs = 1_000_000 / perSecond;
  return { intervalUs, toleranceUs: Math.max(burst, perSecond) * intervalUs };
}

/** The algorithm, on a stored tat (undefined: none); `tat` is what to store when admitted. */
export function admit(stored: number | undefined, nowUs: number, shape: BucketShape): Admission & { tat: number } {
  const tat = Math.max(stored ?? nowUs, nowUs);
  const next = tat + shape.intervalUs;
  const allowAt = next - shape.toleranceUs;
  if (allowAt > nowUs) return { allowed: false, remaining: 0, untilFullUs: tat - nowUs, retryAfterUs: allowAt - nowUs, tat };
  return { allowed: true, remaining: Math.floor((nowUs - allowAt) / shape.intervalUs), untilFullUs: next - nowUs, retryAfterUs: 0, tat: next };
}

/**
 * `admit` in Redis, atomically, on Redis's clock (every web process shares one clock, whatever its own
 * says). ARGV: intervalUs, toleranceUs. Returns allowed (0/1), remaining, untilFullUs, retryAfterUs.
 */
const ADMIT = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local interval = tonumber(ARGV[1])
local tat = math.max(tonumber(redis.call('GET', KEYS[1]) or now), now)
local nextTat = tat + interval
local allowAt = nextTat - tonumber(ARGV[2])
if allowAt > now then return {0, 0, math.ceil(tat - now), math.ceil(allowAt - now)} end
redis.call('SET', KEYS[1], string.format('%.0f', nextTat), 'PX', math.ceil((nextTat - now) / 1000))
return {1, math.floor((now - allowAt) / interval), math.ceil(nextTat - now), 0}`;

type BucketRedis = Redis & { admitTokenBucket?: (key: string, intervalUs: number, toleranceUs: number) => Promise<[number, number, number, number]> };

export async function admitInRedis(redis: RedisClient, key: string, shape: BucketShape): Promise<Admission> {
  const client = redis as BucketRedis;
  if (!client.admitTokenBucket) client.defineCommand("admitTokenBucket", { numberOfKeys: 1, lua: ADMIT });
  const [allowed, remaining, untilFullUs, retryAfterUs] = await client.admitTokenBucket!(key, shape.intervalUs, shape.toleranceUs);
  return { allowed: allowed === 1, remaining, untilFullUs, retryAfterUs };
}

/**
 * The same buckets in one process's memory, for when Redis cannot be reached. At most `maxKeys` are
 * kept (the least recently used go first: forgetting a key only refills its bucket early), so a flood
 * of distinct keys (client addresses) cannot grow the process.
 */
export class MemoryBuckets {
  private readonly tats = new Map<string, number>();

  constructor(
    private readonly maxKeys = 100_000,
    private readonly nowUs = () => Date.now() * 1000,
  ) {}

  admit(key: string, shape: BucketShape): Admission {
    const now = this.nowUs();
    const { tat, ...admission } = admit(this.tats.get(key), now, shape);
    this.tats.delete(key); // re-inserted last: Map order is recency
    if (tat > now) this.tats.set(key, tat);
    if (this.tats.size > this.maxKeys) this.tats.delete(this.tats.keys().next().value!);
    return admission;
  }
}
