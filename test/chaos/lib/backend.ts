import type { ManagedProcess, SigtermResult } from "./processes.js";

/**
 * What a chaos run needs from the servers beneath the service: the processes' environment, a direct
 * database URL for the run's own setup and verdict, and a menu of faults it knows how to inject. Two
 * exist: the single-node one (private Postgres + Redis, single-backend.ts) and the cluster one
 * (private 6-node Redis Cluster + PgBouncer in transaction mode in front of a private Postgres,
 * cluster-backend.ts). run.ts drives either the same way and applies the same verdict.
 */

export interface Window {
  from: number;
  to: number;
}

export interface FaultContext {
  web: ManagedProcess;
  workers: ManagedProcess[];
  /** The next SIGTERM victim of the round (web once per round, a worker otherwise). */
  sigtermVictim: () => ManagedProcess;
  /** SIGTERM `victim` and wait for its exit, SIGKILLing it at the cap. */
  sigterm: (victim: ManagedProcess) => Promise<SigtermResult>;
  outageMs: Record<string, number>;
  log: (line: string) => void;
}

export interface FaultOutcome {
  /** While Postgres could not be reached (directly or through PgBouncer): outcome_unknown is allowed there. */
  postgresDown?: Window;
  /** A SIGTERM sent during the outage, and how the process took it. */
  shutdown?: { victim: string } & SigtermResult;
  /** A line for the report (failover times, …). */
  note?: string;
}

export interface ChaosBackend {
  /** For the log: where things are. */
  describe: string;
  dir: string;
  /** Environment of the web and worker processes. */
  env: Record<string, string>;
  /** Environment of `release` (migrations), on top of `env`. */
  releaseEnv: Record<string, string>;
  /** Straight to Postgres: the run's own connection (setup, drain, verdict). */
  databaseUrl: string;
  faults: readonly string[];
  inject: (kind: string, context: FaultContext) => Promise<FaultOutcome>;
  /** Synchronous and idempotent (it also runs from an exit hook). */
  teardown: () => void;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
