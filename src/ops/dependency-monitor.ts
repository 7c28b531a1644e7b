import { sql } from "kysely";
import type { Db } from "../db/database.js";
import { withDeadline } from "../deadline.js";
import type { Logger } from "../logger.js";
import { pingRedis, type RedisClient } from "../queue/redis.js";

export type Dependency = "postgres" | "redis";

/** How often, at most, a dependency that stays down is reported again. */
const REPEAT_EVERY_MS = 30_000;
/** How often each dependency is probed, and how long a probe may take. */
const PROBE_EVERY_MS = 1_000;
const PROBE_TIMEOUT_MS = 1_500;

interface State {
  down: boolean;
  since: number;
  lastReport: number;
  lastError?: string;
}

/**
 * One voice per process for the state of Postgres and Redis. During an outage every connection, queue,
 * request and sweep fails; none of them logs that itself. They tell the monitor, which logs one line when
 * a dependency goes, at most one every 30 s while it stays down, and one when it comes back. A probe per
 * dependency (with a deadline) notices a Redis that accepts connections but no longer answers, which
 * raises no connection error at all.
 */
export class DependencyMonitor {
  private readonly states = new Map<Dependency, State>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly logger: Logger,
    /** What to name in the lines: `127.0.0.1:6379 (REDIS_URL)`. */
    private readonly targets: Record<Dependency, string>,
  ) {}

  down(dependency: Dependency, error?: unknown): void {
    const now = Date.now();
    const message = describe(error);
    const state = this.states.get(dependency);
    if (!state?.down) {
      this.states.set(dependency, { down: true, since: now, lastReport: now, lastError: message });
      this.logger.error({ dependency, error: message }, `cannot reach ${label(dependency)} at ${this.targets[dependency]}`);
      return;
    }
    state.lastError = message ?? state.lastError;
    if (now - state.lastReport >= REPEAT_EVERY_MS) {
      state.lastReport = now;
      this.logger.error(
        { dependency, error: state.lastError, down_for_ms: now - state.since },
        `still cannot reach ${label(dependency)} at ${this.targets[dependency]}`,
      );
    }
  }

  up(dependency: Dependency): void {
    const state = this.states.get(dependency);
    if (!state?.down) return;
    this.states.set(dependency, { down: false, since: Date.now(), lastReport: Date.now() });
    this.logger.info({ dependency, down_for_ms: Date.now() - state.since }, `${label(dependency)} is reachable again`);
  }

  isDown(dependency: Dependency): boolean {
    return this.states.get(dependency)?.down ?? false;
  }

  /** Probes both dependencies every second until `stop()`; a probe never overlaps the previous one. */
  start(probes: { db: Db; redis: RedisClient }): void {
    let probing = false;
    this.timer = setInterval(async () => {
      if (probing) return;
      probing = true;
      await Promise.all([
        this.probe("postgres", () => sql`SELECT 1`.execute(probes.db)),
        this.probe("redis", () => pingRedis(probes.redis)),
      ]);
      probing = false;
    }, PROBE_EVERY_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async probe(dependency: Dependency, ping: () => Promise<unknown>): Promise<void> {
    try {
      await withDeadline(ping(), PROBE_TIMEOUT_MS, `${dependency} probe`);
      this.up(dependency);
    } catch (error) {
      this.down(dependency, error);
    }
  }
}

const label = (dependency: Dependency) => (dependency === "postgres" ? "Postgres" : "Redis");

/** One short line: the message and code, never a stack (the line says which dependency, not where). */
function describe(error: unknown): string | undefined {
  if (error === undefined) return undefined;
  const { message, code } = error as { message?: string; code?: string };
  return [code, message].filter(Boolean).join(": ") || String(error);
}

/** `host:port (VARIABLE)` for a connection URL, without credentials. */
export function describeTarget(url: string, variable: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || (parsed.protocol.startsWith("postgres") ? "5432" : "6379")} (${variable})`;
  } catch {
    return `(${variable})`;
  }
}
