import type { Logger } from "pino";
import type { Config } from "../config.js";
import type { Db, Scope } from "../db/database.js";
import type { Queues } from "../queue/producer.js";
import type { RedisClient } from "../queue/redis.js";
import type { Subscriptions } from "../queue/subscriptions.js";
import type { DependencyMonitor } from "../ops/dependency-monitor.js";
import type { ApiKeyCache } from "./key-cache.js";
import type { OutcomeWaiter } from "./outcomes.js";
import type { InboxWriter } from "./inbox-writer.js";
import type { RequestBatches } from "./request-batches.js";

/** Everything the web process needs, passed in so tests build the real app with a test config. */
export interface AppDeps {
  config: Config;
  db: Db;
  queues: Queues;
  /** The producer connection the queues share (fail-fast: no offline queue). */
  redis: RedisClient;
  /** The process's one pub/sub connection: key-cache invalidations and outcome notices. */
  subscriptions: Subscriptions;
  outcomes: OutcomeWaiter;
  /** Worker-run requests: stored and enqueued in batches, their outcomes read in batches. */
  requests: RequestBatches;
  /** Verified inbound webhooks: stored in batches (answered once committed), then enqueued in bulk. */
  inbox: InboxWriter;
  logger: Logger;
  /** Reports Postgres and Redis outages once each; /readyz reads it. */
  monitor: DependencyMonitor;
  /** API keys this process knows, dropped at once when any process announces a revoke or roll. */
  keys: ApiKeyCache;
}

export interface AppEnv {
  Variables: {
    requestId: string;
    logger: Logger;
    /** The merchant and mode of the authenticated key. */
    scope: Scope;
    /** The request body as parsed JSON (undefined when there was none). */
    body: unknown;
  };
}
