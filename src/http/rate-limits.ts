import type { Context } from "hono";
import { ReplyError } from "ioredis";
import type { Counter } from "prom-client";
import type { Logger } from "../logger.js";
import type { Config } from "../config.js";
import { ApiError } from "../errors.js";
import type { DependencyMonitor } from "../ops/dependency-monitor.js";
import type { RedisClient } from "../queue/redis.js";
import { admitInRedis, bucketShape, MemoryBuckets, type Admission, type BucketShape } from "./token-bucket.js";

export type LimiterName = "api_key" | "auth_failures" | "inbound_webhooks";

export interface LimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Whole seconds (≥ 1) until the key's bucket is full again. */
  resetSeconds: number;
  /** Whole seconds (≥ 1) until a refused key may try again; 0 when allowed. */
  retryAfterSeconds: number;
}

/**
 * One named limit: a token bucket per key (token-bucket.ts), `limit` a second with bursts of up to
 * `burst`, kept in Redis so every web process shares one budget (keys under `<QUEUE_PREFIX>:bucket:`;
 * not `:rl:`, where rate-limiter-flexible's counters lived: a process of the previous version counts
 * there, and must not read a bucket's timestamp as its count during a rolling upgrade).
 * When Redis is unreachable each process keeps the same buckets in memory: the API keeps serving, each
 * process enforcing the limit on its own. While the connection is not ready, or the dependency monitor
 * says Redis is down, memory is used directly, so a paused Redis costs a request at most one 1.5 s
 * command timeout (the producer connection's), and only until the monitor notices.
 */
export class Limiter {
  private readonly shape: BucketShape;
  private readonly memory = new MemoryBuckets();
  private readonly keyPrefix: string;
  private lastScriptErrorLog = 0;

  constructor(
    readonly name: LimiterName,
    readonly limit: number,
    burst: number,
    private readonly redis: RedisClient,
    prefix: string,
    private readonly monitor: DependencyMonitor,
    private readonly logger?: Logger,
  ) {
    this.shape = bucketShape(limit, burst);
    this.keyPrefix = `${prefix}:bucket:${name}:`;
  }

  async consume(key: string): Promise<LimitDecision> {
    if (this.redis.status === "ready" && !this.monitor.isDown("redis")) {
      try {
        return this.decision(await admitInRedis(this.redis, this.keyPrefix + key, this.shape));
      } catch (error) {
        // Redis failed this call: count it in memory rather than refuse or fail the request. An
        // unreachable Redis is the monitor's to report; Redis refusing the script is not an outage.
        if (error instanceof ReplyError) this.reportScriptError(error as Error);
      }
    }
    return this.decision(this.memory.admit(key, this.shape));
  }

  /** At most once a minute: every request would otherwise log it. */
  private reportScriptError(error: Error): void {
    if (Date.now() - this.lastScriptErrorLog < 60_000) return;
    this.lastScriptErrorLog = Date.now();
    this.logger?.error({ err: error, limiter: this.name }, "Redis refused the rate-limit script: limiting in this process's memory until it runs");
  }

  private decision(admission: Admission): LimitDecision {
    const seconds = (us: number) => Math.max(1, Math.ceil(us / 1_000_000));
    return {
      allowed: admission.allowed,
      limit: this.limit,
      remaining: admission.remaining,
      resetSeconds: seconds(admission.untilFullUs),
      retryAfterSeconds: admission.allowed ? 0 : seconds(admission.retryAfterUs),
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
    logger?: Logger,
  ) {
    const prefix = config.QUEUE_PREFIX;
    const limiter = (name: LimiterName, perSecond: number, burst = perSecond) =>
      perSecond > 0 ? new Limiter(name, perSecond, burst, redis, prefix, monitor, logger) : null;
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
      throw new ApiError("rate_limited", "Too many requests; retry after the number of seconds in Retry-After.", undefined, decision.retryAfterSeconds);
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
