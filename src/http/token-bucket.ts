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

/**
 * The algorithm, relative to now so every quantity is small and exact enough in a double: the argument
 * is how far the stored tat runs ahead of now (whole microseconds, ≤ 0 for none or a past one), and the
 * result's `aheadUs` is the lead to store after this request. The Lua script below is the same
 * algorithm on Redis's clock; both are tested with the same cases. The stored lead is rounded down, so rounding only ever favours
 * the key (by under a microsecond a request), and a thousandth of a microsecond absorbs floating-point
 * error in the comparisons: a bucket of `burst` admits exactly `burst`, whatever the rate.
 */
function admit(aheadUs: number, shape: BucketShape): Admission & { aheadUs: number } {
  const ahead = Math.max(0, aheadUs);
  const next = ahead + shape.intervalUs;
  if (next > shape.toleranceUs + EPSILON_US) return { allowed: false, remaining: 0, untilFullUs: ahead, retryAfterUs: Math.ceil(next - shape.toleranceUs), aheadUs: ahead };
  return { allowed: true, remaining: Math.floor((shape.toleranceUs - next) / shape.intervalUs + EPSILON), untilFullUs: Math.floor(next), retryAfterUs: 0, aheadUs: Math.floor(next) };
}

const EPSILON_US = 0.001;
/** For the division in `remaining`: far below the slack rounding down leaves (≥ 1/intervalUs). */
const EPSILON = 1e-9;

/**
 * `admit` in Redis, atomically, on Redis's clock (every web process shares one clock, whatever its own
 * says); the key holds the absolute tat in whole microseconds and expires when the bucket is full.
 * ARGV: intervalUs, toleranceUs. Returns allowed (0/1), remaining, untilFullUs, retryAfterUs. Needs
 * Redis 5 or later (a script that reads TIME and then writes replicates its effects, the default since 5).
 */
const ADMIT = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local ahead = math.max((tonumber(redis.call('GET', KEYS[1])) or now) - now, 0)
local nextAhead = ahead + interval
if nextAhead > tolerance + ${EPSILON_US} then return {0, 0, ahead, math.ceil(nextAhead - tolerance)} end
local stored = math.floor(nextAhead)
redis.call('SET', KEYS[1], string.format('%.0f', now + stored), 'PX', math.ceil(stored / 1000))
return {1, math.floor((tolerance - nextAhead) / interval + ${EPSILON}), stored, 0}`;

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
  /** Each key's tat, in microseconds on `nowUs`'s clock. */
  private readonly tats = new Map<string, number>();

  constructor(
    private readonly maxKeys = 100_000,
    /** Monotonic (a wall clock stepped back would hold keys back by the step). */
    private readonly nowUs = () => Math.floor((performance.timeOrigin + performance.now()) * 1000),
  ) {}

  admit(key: string, shape: BucketShape): Admission {
    const now = this.nowUs();
    const { aheadUs, ...admission } = admit((this.tats.get(key) ?? now) - now, shape);
    this.tats.delete(key); // re-inserted last: Map order is recency
    if (aheadUs > 0) this.tats.set(key, now + aheadUs);
    if (this.tats.size > this.maxKeys) this.tats.delete(this.tats.keys().next().value!);
    return admission;
  }
}
