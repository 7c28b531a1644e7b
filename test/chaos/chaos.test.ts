import { expect, test } from "vitest";
import { CLUSTER_PROFILES, formatReport, PROFILES, runChaos, type Topology } from "./lib/run.js";

/**
 * Fault injection against real web and worker processes on a private Postgres and Redis: kill -9 of
 * workers and of web, Redis losing all its data, Postgres crashing, Redis unreachable, Redis paused
 * (SIGSTOP), Postgres unreachable — a web or worker SIGTERMed during each of the last three — under a
 * mixed load. After the drain every invariant holds and every promise made to a client or a provider is
 * kept; no call hung, every SIGTERM was obeyed in bounded time, every log line was JSON. `npm test` runs
 * the short profile; `npm run chaos` the long one (CHAOS_PROFILE=long).
 *
 * CHAOS_TOPOLOGY=cluster (`npm run chaos:cluster`, `chaos:cluster:short`) runs the same load and
 * verdict on a private 6-node Redis Cluster and a PgBouncer in transaction mode in front of the
 * private Postgres, with that topology's faults (lib/cluster-backend.ts). An env switch, not a CLI
 * flag: vitest does not pass unknown flags through to the test.
 */
const topology: Topology = process.env.CHAOS_TOPOLOGY === "cluster" ? "cluster" : "single";
const profile = (topology === "cluster" ? CLUSTER_PROFILES : PROFILES)[process.env.CHAOS_PROFILE === "long" ? "long" : "short"];

test(`chaos (${profile.name}): nothing lost, nothing doubled`, async () => {
  const report = await runChaos(profile, (line) => process.stdout.write(`${line}\n`), topology);
  process.stdout.write(`${formatReport(report)}\n`);
  expect(Object.values(report.faults).every((count) => count > 0), "every kind of fault was injected").toBe(true);
  expect(report.verdict.invariants.filter((r) => r.violations.length > 0)).toEqual([]);
  expect(report.verdict.problems).toEqual([]);
  expect(report.drained).toBe(true);
}, profile.loadMs + profile.drainTimeoutMs + 150_000);
