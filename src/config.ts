import { z } from "zod";
import { POOLING_MODES } from "./db/pooling.js";

/** Parses "60s", "5m", "2h", "1d", "250ms" or a bare number of seconds into milliseconds. */
export function parseDuration(text: string): number | null {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(text);
  if (!match) return null;
  const unitMs = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] ?? "s"]!;
  return Math.round(Number(match[1]) * unitMs);
}

const durationList = z.string().transform((text, ctx) => {
  const parts = text.split(",").map((part) => part.trim()).filter(Boolean);
  const delays = parts.map(parseDuration);
  if (parts.length === 0 || delays.some((delay) => delay === null)) {
    ctx.addIssue({ code: "custom", message: `expected durations like "1m,5m,30m", got "${text}"` });
    return z.NEVER;
  }
  return delays as number[];
});

export const DEFAULT_REDIS_URL = "redis://127.0.0.1:6379";

const clusterNodes = z.string().transform((text, ctx) => {
  const parts = text.split(",").map((part) => part.trim()).filter(Boolean);
  const nodes = parts.map((part) => /^([A-Za-z0-9_.-]+|\[[0-9A-Fa-f:.]+\]):(\d{1,5})$/.exec(part));
  if (parts.length === 0 || nodes.some((node) => !node || Number(node[2]) < 1 || Number(node[2]) > 65535)) {
    ctx.addIssue({ code: "custom", message: `expected host:port seed nodes like "10.0.0.1:7000,10.0.0.2:7000", got "${text}"` });
    return z.NEVER;
  }
  return nodes.map((node) => ({ host: node![1]!.replace(/^\[|\]$/g, ""), port: Number(node![2]) }));
});

const csv = z.string().transform((text) => text.split(",").map((part) => part.trim()).filter(Boolean));
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** A 32-byte AES key as base64; only a well-known development key is used by default (see docs/webhooks.md). */
const aesKey = z.string().transform((text, ctx) => {
  const key = Buffer.from(text, "base64");
  if (key.length !== 32 || key.toString("base64") !== text.trim()) {
    ctx.addIssue({ code: "custom", message: "expected 32 random bytes, base64-encoded (openssl rand -base64 32)" });
    return z.NEVER;
  }
  return key;
});
export const DEVELOPMENT_WEBHOOK_SECRET_KEY = "SaeTCC/N7fFM5adjnSuIHAJ+KHy/4AdFbAYrZO+iHlE=";

const schema = z.object({
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).default("postgres://127.0.0.1:5432/loyalty_redemptions"),
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).default(DEFAULT_REDIS_URL),
  /**
   * Seed nodes of a Redis Cluster (`host:port,host:port,…`): when set, every Redis use (queues, workers,
   * outcome notices, rate limits, key-cache pub/sub, metrics) runs on the cluster instead of REDIS_URL.
   * A few seeds suffice; the rest of the cluster is discovered from them. See docs/redis-cluster.md.
   */
  REDIS_CLUSTER_NODES: clusterNodes.optional(),
  /**
   * Queues the hot paths (REST requests, inbound webhooks) are split into, by merchant: on a Redis
   * Cluster, their load spreads over the masters. Every web and worker process must use the same number.
   */
  QUEUE_PARTITIONS: int(1, 64).default(1),
  QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, "letters, digits, _ . - only").default("lr"),
  PORT: int(0, 65535).default(3000),
  /**
   * How long an idle keep-alive connection stays open. Longer than the idle timeout of the load
   * balancer in front (60 s on the common ones), so the balancer, not Node, closes idle connections: a
   * request sent on a connection the server is closing at that instant fails with a reset.
   */
  HTTP_KEEP_ALIVE_TIMEOUT_MS: int(1_000, 3_600_000).default(65_000),
  REDEMPTION_PENDING_TTL_SECONDS: int(1, 30 * 86_400).default(1800),
  WEBHOOK_RETRY_SCHEDULE: durationList.prefault("1m,5m,30m,2h,24h"),
  WEBHOOK_TIMEOUT_MS: int(1, 120_000).default(10_000),
  WEBHOOK_ALLOW_HOSTS: csv.prefault(""),
  /** Encrypts outbound signing secrets at rest (AES-256-GCM). Set your own in production. */
  WEBHOOK_SECRET_KEY: aesKey.prefault(DEVELOPMENT_WEBHOOK_SECRET_KEY),
  ADMIN_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  // Not in the public spec: operational knobs with safe defaults.
  /** How long a REST request waits for its worker job before answering 503 (nothing happened). */
  REQUEST_TIMEOUT_MS: int(100, 120_000).default(10_000),
  /** After SIGTERM/SIGINT a process drains for at most this long, then exits (non-zero if it abandoned work). */
  SHUTDOWN_TIMEOUT_MS: int(100, 600_000).default(10_000),
  /** Failed runs of one stored request or inbound webhook before it is dead-lettered (marked failed). */
  MAX_ATTEMPTS: int(1, 1000).default(10),
  /** Jobs one worker process runs at once, per queue. */
  WORKER_CONCURRENCY: int(1, 512).default(16),
  /**
   * REST request jobs one worker process holds at once. They wait for a shared group commit, not for a
   * connection of their own, so this can be far above DATABASE_POOL_SIZE: more jobs held means larger
   * groups under load, and a free slot for a quiet merchant's job while another merchant floods.
   */
  REQUEST_JOBS_IN_FLIGHT: int(1, 4096).default(64),
  /** Postgres connections per process. */
  DATABASE_POOL_SIZE: int(1, 200).default(10),
  /**
   * `transaction` when DATABASE_URL is a pooler in transaction mode (PgBouncer pool_mode=transaction):
   * no session state across transactions (docs/pgbouncer.md). Harmless against plain Postgres.
   */
  DATABASE_POOLING: z.enum(POOLING_MODES).default("session"),
  /** How often the worker's sweepers re-drive work from Postgres. */
  SWEEP_INTERVAL_MS: int(50, 600_000).default(5_000),
  /** How often the worker releases pending discounts past `expires_at` (how late a release may be). */
  EXPIRY_INTERVAL_MS: int(10, 600_000).default(1_000),
  /** Age after which a pending request whose job is missing is re-enqueued by the sweeper. */
  SWEEP_STALE_AFTER_MS: int(10, 3_600_000).default(15_000),
  /** Jobs of the deliveries queue one worker process runs at once (mostly waiting on the network). */
  WEBHOOK_DELIVERY_CONCURRENCY: int(1, 1024).default(64),
  /** Sends to one endpoint in flight at once, across all workers; a slow endpoint can't take the pool. */
  WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT: int(1, 256).default(16),
  /** How often the worker's relay polls for unpublished events (the sweeper is the backstop). */
  WEBHOOK_RELAY_INTERVAL_MS: int(10, 3_600_000).default(200),
  /** Requests per second per API key, shared by every web process (0 turns the limit off). docs/api.md §1.7. */
  RATE_LIMIT_PER_SECOND: int(0, 1_000_000).default(100),
  /** Most requests a key may make at once (its bucket; refilled at RATE_LIMIT_PER_SECOND). Below the rate it counts as the rate. */
  RATE_LIMIT_BURST: int(0, 1_000_000).default(200),
  /** Requests with a missing or invalid key per client address per second before they get 429 (0: off). */
  RATE_LIMIT_AUTH_FAILURES_PER_SECOND: int(0, 1_000_000).default(20),
  /** Inbound webhooks per merchant and source per second (0: off). */
  RATE_LIMIT_INBOUND_PER_SECOND: int(0, 1_000_000).default(1000),
  /** Proxies in front of the web whose X-Forwarded-For is believed (0: the socket's address is the client). */
  TRUST_PROXY: int(0, 10).default(0),
  /** Bull Board may retry, promote, clean and remove jobs (otherwise it is read-only). */
  ADMIN_QUEUE_ACTIONS: z.enum(["true", "false"]).default("false").transform((value) => value === "true"),
});

export type Config = Readonly<z.output<typeof schema>>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join("\n")}`);
  }
}

/** Parses the environment once; lists every problem at once rather than the first. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ""));
  const result = schema.safeParse(present);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`));
  }
  // Two Redis targets would leave it unclear which one holds the queues: refuse rather than pick.
  if (result.data.REDIS_CLUSTER_NODES && result.data.REDIS_URL !== DEFAULT_REDIS_URL) {
    throw new ConfigError(["REDIS_CLUSTER_NODES: set either REDIS_CLUSTER_NODES or a REDIS_URL, not both"]);
  }
  return Object.freeze(result.data);
}
