import { DeadlineExceeded } from "../deadline.js";
import type { Logger } from "../logger.js";
import type { Dependency } from "./dependency-monitor.js";

/**
 * Postgres or Redis unreachable, restarting or not answering in time: the operation did not happen (or
 * did not happen yet) for a reason outside the request, and can be retried. Which dependency, when known.
 */
export function outageOf(error: unknown): Dependency | "unknown" | null {
  if (error instanceof DeadlineExceeded) return /redis|enqueue|queue/i.test(error.what) ? "redis" : "postgres";
  const { code, message, name } = error as { code?: string; message?: string; name?: string };
  // SQLSTATE classes 08 (connection), 57P01-03 (shutdown, crash, cannot connect now), 53300 (too many
  // connections), 57014 (statement_timeout).
  if (code && /^(08|57P0[1-3]|53300|57014)/.test(code)) return "postgres";
  const text = message ?? "";
  if (/Connection terminated|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error/i.test(text)) return "postgres";
  if (name === "MaxRetriesPerRequestError" || /Connection is closed|Stream isn't writeable|Command timed out|Reached the max retries/i.test(text)) return "redis";
  if (name === "ClusterAllFailedError" || REDIS_CLUSTER_OUTAGE.test(text)) return "redis";
  if (code && ["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "EHOSTUNREACH"].includes(code)) return "unknown";
  if (/connect ECONNREFUSED/i.test(text)) return "unknown";
  return null;
}

/**
 * A Redis Cluster failing over or out of quorum: slots without a master (CLUSTERDOWN), redirections
 * chasing a master that moved or died (MOVED/ASK/TRYAGAIN, "Too many Cluster redirections"), a write
 * that reached a master just demoted to replica (READONLY), a node still loading, no slot map
 * ("Failed to refresh slots cache"), no seed answering, or the cluster client not ready. The command
 * did not run, or its effect is idempotent on retry, like any other Redis outage.
 */
const REDIS_CLUSTER_OUTAGE =
  /CLUSTERDOWN|\b(MOVED|ASK) \d+ \S+:\d+|TRYAGAIN|READONLY You can't write|LOADING Redis is loading|MASTERDOWN|Too many Cluster redirections|Failed to refresh slots cache|None of startup nodes is available|Cluster isn't ready|Redis Cluster (is not ready|has no reachable master)/;

export const isOutage = (error: unknown) => outageOf(error) !== null;

/**
 * For a wake-up enqueued after a commit, whose loss only costs latency (a sweeper re-drives the row):
 * a failure during an outage is the dependency monitor's to report, so it is logged at debug level;
 * any other failure is a warning.
 */
export function logEnqueueFailure(logger: Logger, message: string, fields: Record<string, unknown> = {}) {
  return (error: unknown) => logger[isOutage(error) ? "debug" : "warn"]({ err: error, ...fields }, message);
}
