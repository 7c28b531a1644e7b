import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import type { Db } from "../../db/database.js";
import { countDeadLetters } from "../../domain/dead-letters.js";
import type { Queues } from "../../queue/producer.js";
import type { RedisClient } from "../../queue/redis.js";
import { readAttemptCounts } from "../../webhooks/attempt-counts.js";
import type { AppEnv } from "../env.js";

/**
 * Prometheus metrics of one web process. Job outcomes are counted by BullMQ itself (worker `metrics`
 * option) in Redis, so any web process can report them for the whole fleet; queue depths likewise.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly httpDuration = new Histogram({
    name: "http_request_duration_seconds",
    help: "HTTP request latency by method, route pattern and status",
    labelNames: ["method", "route", "status"] as const,
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  /** Requests answered 429 by this process, by limiter (api_key, auth_failures, inbound_webhooks). */
  readonly rateLimited = new Counter({
    name: "rate_limited_requests_total",
    help: "Requests refused with 429 rate_limited by this web process, by limiter (api_key, auth_failures, inbound_webhooks)",
    labelNames: ["limiter"] as const,
    registers: [this.registry],
  });

  constructor(queues: Queues, redis: RedisClient, queuePrefix: string, db: Db) {
    collectDefaultMetrics({ register: this.registry });
    const deadLetters = new Gauge({
      name: "dead_letters",
      help: "Stored work that failed MAX_ATTEMPTS times and is no longer retried, by kind (requests, inbound_webhooks)",
      labelNames: ["kind"] as const,
      registers: [this.registry],
      async collect() {
        // Postgres away: the gauge keeps its last values rather than failing the whole scrape.
        const counts = await countDeadLetters(db).catch(() => null);
        for (const [kind, count] of Object.entries(counts ?? {})) deadLetters.set({ kind }, count);
      },
    });
    const depth = new Gauge({
      name: "queue_jobs",
      help: "Jobs in each BullMQ queue by state",
      labelNames: ["queue", "state"] as const,
      registers: [this.registry],
      async collect() {
        for (const queue of Object.values(queues)) {
          const counts = await queue.getJobCounts("waiting", "active", "delayed", "failed", "prioritized", "waiting-children");
          for (const [state, count] of Object.entries(counts)) depth.set({ queue: queue.name, state }, count ?? 0);
        }
      },
    });
    const jobs = new Counter({
      name: "queue_jobs_finished_total",
      help: "Jobs finished by queue and outcome, as counted by the workers (BullMQ metrics)",
      labelNames: ["queue", "outcome"] as const,
      registers: [this.registry],
      async collect() {
        jobs.reset();
        for (const queue of Object.values(queues)) {
          for (const outcome of ["completed", "failed"] as const) {
            const { meta } = await queue.getMetrics(outcome, 0, 0);
            jobs.inc({ queue: queue.name, outcome }, meta.count);
          }
        }
      },
    });
    const attempts = new Counter({
      name: "webhook_delivery_attempts_total",
      help: "Outbound webhook HTTP attempts by outcome (succeeded, failed) and error class (timeout, connect, dns, tls, http_status, ssrf_blocked), as counted by the workers",
      labelNames: ["outcome", "error"] as const,
      registers: [this.registry],
      async collect() {
        attempts.reset();
        for (const { outcome, error, count } of await readAttemptCounts(redis, queuePrefix)) attempts.inc({ outcome, error }, count);
      },
    });
  }

  /** Observes every request by its route pattern (never the raw path: ids would explode cardinality). */
  middleware(): MiddlewareHandler<AppEnv> {
    return async (c, next) => {
      const end = this.httpDuration.startTimer();
      await next();
      const handler = matchedRoutes(c).findLast((route) => route.method !== "ALL");
      const route = handler?.path ?? "unmatched";
      end({ method: c.req.method, route, status: String(c.res.status) });
    };
  }
}
