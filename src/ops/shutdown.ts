import { withDeadline } from "../deadline.js";
import type { Logger } from "../logger.js";

export interface ShutdownPlan {
  /** Stop taking work and let what is running finish. Resolving means nothing was abandoned. */
  drain: () => Promise<void>;
  /** Close connections. Not finishing in time abandons no work: sockets are just dropped at exit. */
  close: () => Promise<void>;
}

/**
 * SIGTERM/SIGINT: drain, close, exit — by `timeoutMs` whatever state Redis and Postgres are in. Exit 0
 * when drained, 1 when work had to be abandoned (safe by design: a stalled job reruns elsewhere, a
 * stored request past its deadline never takes effect, the client of a cut request retries with its key).
 */
export function exitOnSignal(logger: Logger, timeoutMs: number, plan: ShutdownPlan): void {
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    const startedAt = Date.now();
    logger.info({ signal, timeout_ms: timeoutMs }, "stopping: draining in-flight work");
    // The last resort, should even the bounded steps below not return.
    setTimeout(() => exit(logger, 1, startedAt, "shutdown deadline passed"), timeoutMs + 250).unref();
    const closeReserve = Math.min(1_000, Math.round(timeoutMs / 5));
    const drained = await withDeadline(plan.drain(), timeoutMs - closeReserve, "drain").then(
      () => true,
      (error) => {
        logger.warn({ error: (error as Error).message }, "abandoning in-flight work at the shutdown deadline");
        return false;
      },
    );
    // Closing politely needs the dependencies to answer; when they don't, dropping the sockets at exit
    // loses nothing. So closing gets a short budget of its own, not whatever the drain left.
    await withDeadline(plan.close(), Math.min(closeReserve, Math.max(0, startedAt + timeoutMs - Date.now())), "close").catch(() => {});
    exit(logger, drained ? 0 : 1, startedAt, drained ? "drained" : "abandoned work");
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

function exit(logger: Logger, code: number, startedAt: number, reason: string): never {
  logger.info({ exit_code: code, took_ms: Date.now() - startedAt, reason }, "stopped");
  // pino writes synchronously to stdout (no transport): the line is out before the process ends.
  process.exit(code);
}
