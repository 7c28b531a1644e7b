import type { Context } from "hono";
import type { Counter } from "prom-client";
import { BurstyRateLimiter, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import type { Config } from "../config.js";
import { ApiError } from "../errors.js";
import type { DependencyMonitor } from "../ops/dependency-monitor.js";
import type { RedisClient } from "../queue/redis.js";

export type LimiterName = "api_key" | "auth_failures" | "inbound_webhooks";

/** The burst reserve of a key (RATE_LIMIT_BURST − RATE_LIMIT_PER_SECOND requests) refills over this window. */
export const BURST_WINDOW_SECONDS = 10;

interface Consumer {
  consume(key: string): Promise<RateLimiterRes>;
}

export interface LimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the current window resets (≥ 1). */
  resetSeconds: number;
}

/**
 * One named limit, counted in Redis so every web process shares one budget (keys under
 * `<QUEUE_PREFIX>:rl:`). When Redis is unreachable the limit falls back to a per-process in-memory
 * limiter of the same size (rate-limiter-flexible's `insuranceLimiter`): the API keeps serving, each
 * process enforcing the limit on its own. While the dependency monitor says Redis is down the memory
 * limiter is used directly, so a paused Redis costs no request the producer's 1.5 s command timeout.
 */
export class Limiter {
  private readonly shared: Consumer;
  private readonly local: Consumer;

  constructor(
    readonly name: LimiterName,
    readonly limit: number,
    burst: number,
    redis: RedisClient,
    prefix: string,
    private readonly monitor: DependencyMonitor,
  ) {
    const make = (keyPrefix: string, points: number, duration: number) => {
      const memory = new RateLimiterMemory({ keyPrefix, points, duration });
      const store = new RateLimiterRedis({
        storeClient: redis,
        keyPrefix,
        points,
        duration,
        // Fail over at once (to the memory limiter) while the connection is not ready: no offline queue.
        rejectIfRedisNotReady: true,
        insuranceLimiter: memory,
      });
      return { store, memory };
    };
    const base = `${prefix}:rl:${name}`;
    const steady = make(base, limit, 1);
    if (burst > limit) {
      const reserve = make(`${base}:burst`, burst - limit, BURST_WINDOW_SECONDS);
      this.shared = new BurstyRateLimiter(steady.store, reserve.store);
      this.local = new BurstyRateLimiter(steady.memory, reserve.memory);
    } else {
      this.shared = steady.store;
      this.local = steady.memory;
    }
  }

  async consume(key: string): Promise<LimitDecision> {
    const limiter = this.monitor.isDown("redis") ? this.local : this.shared;
    try {
      return this.decision(true, await limiter.consume(key));
    } catch (error) {
      if (error instanceof RateLimiterRes) return this.decision(false, error);
      // Neither store answered (should not happen: the memory limiter always does). Never refuse for it.
      return { allowed: true, limit: this.limit, remaining: this.limit, resetSeconds: 1 };
    }
  }

  private decision(allowed: boolean, res: RateLimiterRes): LimitDecision {
    return {
      allowed,
      limit: this.limit,
      remaining: Math.max(0, res.remainingPoints),
      resetSeconds: Math.max(1, Math.ceil(res.msBeforeNext / 1000)),
    };
  }
}

/** The limits of one web process (docs/api.md §1.7). A limit set to 0 is off (null). */
export class RateLimits {
  readonly apiKey: Limiter | null;
  readonly authFailures: Limiter | null;
  readonly inbound: Limiter | null;

  constructor(
    config: Config,
    redis: RedisClient,
    monitor: DependencyMonitor,
    private readonly limited?: Counter<"limiter">,
  ) {
    const prefix = config.QUEUE_PREFIX;
    const limiter = (name: LimiterName, perSecond: number, burst = perSecond) =>
      perSecond > 0 ? new Limiter(name, perSecond, burst, redis, prefix, monitor) : null;
    this.apiKey = limiter("api_key", config.RATE_LIMIT_PER_SECOND, config.RATE_LIMIT_BURST);
    this.authFailures = limiter("auth_failures", config.RATE_LIMIT_AUTH_FAILURES_PER_SECOND);
    this.inbound = limiter("inbound_webhooks", config.RATE_LIMIT_INBOUND_PER_SECOND);
  }

  /**
   * Consumes one request from `limiter` for `key`, sets the RateLimit-* headers on the response being
   * built, and throws `429 rate_limited` (with Retry-After) past the limit.
   */
  async enforce(c: Context, limiter: Limiter | null, key: string): Promise<void> {
    if (!limiter) return;
    const decision = await limiter.consume(key);
    setRateLimitHeaders(c, decision);
    if (!decision.allowed) {
      this.limited?.inc({ limiter: limiter.name });
      throw new ApiError("rate_limited", "Too many requests; retry after the number of seconds in Retry-After.", undefined, decision.resetSeconds);
    }
  }
}

export function setRateLimitHeaders(c: Context, decision: LimitDecision): void {
  c.header("RateLimit-Limit", String(decision.limit));
  c.header("RateLimit-Remaining", String(decision.remaining));
  c.header("RateLimit-Reset", String(decision.resetSeconds));
}

/**
 * The client's address: the socket's remote address; behind `TRUST_PROXY` = n proxies, the n-th
 * address from the right of X-Forwarded-For (each trusted proxy appends the address it saw), so a
 * client cannot choose its own address by sending the header.
 */
export function clientAddress(c: Context, trustProxy: number, socketAddress: (c: Context) => string | undefined): string {
  const socket = socketAddress(c) ?? "unknown";
  if (trustProxy === 0) return socket;
  const forwarded = (c.req.header("x-forwarded-for") ?? "")
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean);
  return forwarded[forwarded.length - trustProxy] ?? forwarded[0] ?? socket;
}
