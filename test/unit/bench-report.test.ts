import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { hopFloorMs, LONE_REDEMPTION_HOPS } from "../../bench/ceilings/idle-round-trip.js";
import { renderReport, type Results } from "../../bench/report.js";

/**
 * BENCHMARKS.md's verdicts are computed, not written by hand: these check the arithmetic behind them
 * on a real run's figures (test/fixtures/bench-run.json, a full `npm run bench`), nudged across each
 * threshold, so a wrong comparison cannot hide behind whatever the machine measured that day.
 */
const run = (): Results => JSON.parse(readFileSync(new URL("../fixtures/bench-run.json", import.meta.url), "utf8"));

/** The verdict cell of the targets row that starts with `target`. */
function verdictOf(results: Results, target: string): string {
  const line = renderReport(results)
    .split("\n")
    .find((candidate) => candidate.startsWith(`| ${target}`));
  if (!line) throw new Error(`no targets row for ${target}`);
  return line.split(" | ").at(-1)!.replace(/ \|$/, "");
}

describe("BENCHMARKS.md verdicts", () => {
  it("S2 is met only at or above the pgbench rate with at most 1.5 ms of CPU summed over the service's processes", () => {
    const results = run();
    const s2 = results.scenarios.s2!;
    const ceiling = results.ceilings.pgbench!.uniform.tps;
    s2.cpuMsPerRedemption = { web: 0.5, worker: 0.4, postgres: 0.5, redis: 0.1, loadgen: 9 }; // 1.5 ms; the load generator is not the service
    s2.rate = ceiling;
    expect(verdictOf(results, "S2 ≥ 100 %")).toBe("**met**");
    s2.rate = ceiling - 1;
    expect(verdictOf(results, "S2 ≥ 100 %")).toBe("**missed**");
    s2.rate = ceiling;
    s2.cpuMsPerRedemption.redis = 0.11;
    expect(verdictOf(results, "S2 ≥ 100 %")).toBe("**missed**");
  });

  it("S6 needs both the queue bytes and a heap slope under 0.5 MiB/min either way", () => {
    const results = run();
    const soak = results.scenarios.soak!;
    results.scenarios.queueMemory!.redisBytesPer10k = 9000 * 1024;
    soak.webHeapUsed.slopePerMinute = -0.49 * 2 ** 20;
    expect(verdictOf(results, "S6 unchanged")).toBe("**met**");
    soak.webHeapUsed.slopePerMinute = 0.51 * 2 ** 20;
    expect(verdictOf(results, "S6 unchanged")).toBe("**missed**");
    soak.webHeapUsed.slopePerMinute = -0.51 * 2 ** 20;
    expect(verdictOf(results, "S6 unchanged")).toBe("**missed**");
    soak.webHeapUsed.slopePerMinute = 0;
    results.scenarios.queueMemory!.redisBytesPer10k = 9247 * 1024 * 1.06;
    expect(verdictOf(results, "S6 unchanged")).toBe("**missed**");
  });

  it("S1's latency targets and S3's ratio turn on their thresholds; an unmeasured phase says so", () => {
    const results = run();
    const oneClient = results.scenarios.s1!.closed.find((row) => row.clients === 1)!;
    oneClient.latency.p50 = 4;
    expect(verdictOf(results, "S1 p50")).toBe("**met**");
    oneClient.errors = 1;
    expect(verdictOf(results, "S1 p50")).toBe("**missed**");
    const half = results.scenarios.s1!.open.find((row) => row.fractionOfS2 === 0.5)!;
    half.latency.p99 = 25;
    expect(verdictOf(results, "S1 p99")).toBe("**met**");
    results.scenarios.s3!.rate = 0.9 * results.ceilings.pgbench!.hot.tps;
    expect(verdictOf(results, "S3 ≥ 90 %")).toBe("**met**");
    results.scenarios.s3!.ledgerExact = false;
    expect(verdictOf(results, "S3 ≥ 90 %")).toBe("**missed**");
    delete results.scenarios.s4;
    expect(verdictOf(results, "S4 ≥ 15 %")).toBe("not measured");
  });

  it("prices a lone redemption's hops at the measured idle round trips and puts the disk's flush tail beside S1", () => {
    const results = run();
    results.ceilings.idleRoundTrips = [
      { pauseMs: 0, postgresP50Ms: 0.1, redisP50Ms: 0.1 },
      { pauseMs: 1, postgresP50Ms: 0.3, redisP50Ms: 0.2 },
      { pauseMs: 10, postgresP50Ms: 0.6, redisP50Ms: 0.5 },
    ];
    const { postgres, redis } = LONE_REDEMPTION_HOPS;
    expect(hopFloorMs(results.ceilings.idleRoundTrips, 1)).toBeCloseTo(postgres * 0.3 + redis * 0.2);
    expect(hopFloorMs(results.ceilings.idleRoundTrips, 5)).toBeUndefined();
    const report = renderReport(results);
    const low = (postgres * 0.3 + redis * 0.2).toFixed(2);
    const high = (postgres * 0.6 + redis * 0.5).toFixed(2);
    expect(report).toContain(`the hops alone cost **${low}–${high} ms**`);
    expect(report).toContain(`| S1 p50 ≤ 4 ms at 1 client | ${results.scenarios.s1!.closed[0]!.latency.p50.toFixed(2)} ms (the hops alone cost ${low}–${high} ms here`);
    results.ceilings.diskFlush!.maxMs = 234.4;
    expect(renderReport(results)).toMatch(/\(this disk's flush p99\.9 [\d.]+ ms, max 234\.4 ms, see Ceilings\) \| \*\*missed\*\*/);
  });
});
