/**
 * Renders BENCHMARKS.md from a run's results (bench/run.ts). Re-render without re-running:
 *   node dist/bench/report.js bench/last-run.json > BENCHMARKS.md
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { BullmqCeiling } from "./ceilings/bullmq.js";
import type { DiskFlushCeiling } from "./ceilings/disk-flush.js";
import type { HttpCeiling } from "./ceilings/http.js";
import { hopFloorMs, LONE_REDEMPTION_HOPS, type IdleRoundTrip } from "./ceilings/idle-round-trip.js";
import type { PgbenchResult } from "./ceilings/pgbench.js";
import type { LoadResult } from "./lib.js";
import type { S1Result } from "./scenarios/s1-latency.js";
import type { S2ClusterResult } from "./scenarios/s2-cluster.js";
import type { S2Result } from "./scenarios/s2-throughput.js";
import type { S3Result } from "./scenarios/s3-hot.js";
import type { S4Result } from "./scenarios/s4-inbound.js";
import type { S5Result } from "./scenarios/s5-deliveries.js";
import type { QueueMemory, SoakResult } from "./scenarios/s6-memory.js";
import type { LimitedFlood, S7Result, S7UncappedResult } from "./scenarios/s7-noisy-neighbour.js";

export interface Results {
  mode: "smoke" | "full";
  command: string;
  env: Record<string, string>;
  startedAt: string;
  seconds?: number;
  machine: {
    nproc: string;
    cpuModel: string;
    memoryGiB: number;
    loadAverageAtStart: string;
    kernel: string;
    node: string;
    postgres: string;
    redis: string;
    packages: Record<string, string>;
    gitCommit: string;
  };
  config?: Record<string, string | number>;
  ceilings: { pgbench?: { uniform: PgbenchResult; hot: PgbenchResult }; hono?: HttpCeiling | undefined; rawPost?: HttpCeiling | undefined; bullmq?: BullmqCeiling | undefined; idleRoundTrips?: IdleRoundTrip[] | undefined; diskFlush?: DiskFlushCeiling | undefined };
  scenarios: {
    s1?: S1Result | undefined;
    s2?: S2Result | undefined;
    s2cluster?: S2ClusterResult | undefined;
    s3?: S3Result | undefined;
    s4?: S4Result | undefined;
    s5?: S5Result | undefined;
    soak?: SoakResult | undefined;
    queueMemory?: QueueMemory | undefined;
    s7?: S7Result | undefined;
    s7uncapped?: S7UncappedResult | undefined;
  };
  errors: string[];
}

const n0 = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? "–" : Math.round(x).toLocaleString("en-US"));
const ms = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? "–" : x < 10 ? x.toFixed(2) : x.toFixed(1));
const pct = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || !b || !Number.isFinite(a) ? "–" : `${((100 * a) / b).toFixed(0)} %`);
const mib = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? "–" : `${(x / 2 ** 20).toFixed(1)} MiB`);
const kib = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? "–" : `${(x / 1024).toFixed(0)} KiB`);
const cpuCells = (m: Record<string, number> | undefined, keys: string[]) => keys.map((k) => ms(m?.[k]));
const verdict = (ok: boolean | undefined) => (ok === undefined ? "not measured" : ok ? "**met**" : "**missed**");
const row = (cells: (string | number)[]) => `| ${cells.join(" | ")} |`;
const lat = (r: LoadResult | undefined) => [ms(r?.latency.p50), ms(r?.latency.p99), ms(r?.latency.p999)];

export function renderReport(r: Results): string {
  const { pgbench, hono, rawPost, bullmq } = r.ceilings;
  const { s1, s2, s3, s4, s5, soak, queueMemory } = r.scenarios;
  const out: string[] = [];
  out.push("# Benchmarks — loyalty-redemptions", "");
  if (r.mode === "smoke") {
    out.push(
      "> **SMOKE RUN** (`BENCH_MODE=smoke`): every phase shrunk to a few seconds on a shared, loaded machine. It proves that the",
      "> suite runs end to end; **the figures below mean nothing**. The figures of record come from `npm run bench` on an idle machine.",
      "",
    );
  }
  out.push(
    `Generated ${r.startedAt} by \`${r.command}\`${Object.keys(r.env).length ? ` with ${Object.entries(r.env).map(([k, v]) => `\`${k}=${v}\``).join(" ")}` : ""} in ${n0(r.seconds)} s, at commit \`${r.machine.gitCommit}\`.`,
    "",
    "Every figure is measured in the same run as the ceiling it is compared with: on a shared 2-core machine only ratios are honest.",
    "",
  );
  if (r.errors.length) out.push("**Phases that failed:**", "", ...r.errors.map((e) => `- ${e}`), "");

  out.push(...renderTargets(r));

  out.push("## Ceilings (same run)", "");
  out.push(row(["ceiling", "what", "rate/s", "p50 ms", "p99 ms", "p99.9 ms", "notes"]), row(["---", "---", "---:", "---:", "---:", "---:", "---"]));
  if (pgbench) {
    for (const [name, p] of [["pgbench uniform", pgbench.uniform], ["pgbench hot", pgbench.hot]] as const) {
      out.push(row([name, `redemption SQL, ${p.accounts.toLocaleString("en-US")} account(s), -M prepared -c ${p.clients} -j 2 -T ${p.seconds}`, n0(p.tps), "–", "–", "–", `avg latency ${ms(p.latencyAvgMs)} ms, ${p.failed} failed`]));
    }
  }
  if (hono) out.push(row(["Hono hello-world", `JSON POST via @hono/node-server, ${hono.clients} keep-alive clients`, n0(hono.rate), ...lat(hono), `server CPU ${ms(hono.serverCpuMsPerRequest)} ms/req`]));
  if (rawPost) out.push(row(["raw undici POST", `undici → bare node:http 200, ${rawPost.clients} clients`, n0(rawPost.rate), ...lat(rawPost), `server CPU ${ms(rawPost.serverCpuMsPerRequest)} ms/req`]));
  if (bullmq) out.push(row(["BullMQ round trip", `empty job add → worker (other process, concurrency ${bullmq.concurrency}) → completion event, ${bullmq.clients} producers`, n0(bullmq.rate), ...lat(bullmq), ""]));
  out.push("");
  if (r.ceilings.idleRoundTrips) out.push(...renderIdleRoundTrips(r.ceilings.idleRoundTrips));
  if (r.ceilings.diskFlush) out.push(...renderDiskFlush(r.ceilings.diskFlush));

  if (r.config) {
    out.push("## Service configuration", "", row(["knob", "value"]), row(["---", "---"]), ...Object.entries(r.config).map(([k, v]) => row([`\`${k}\``, String(v)])), "");
  }

  if (s1 || s2) {
    out.push("## S1 — redemption create latency", "");
    // CPU of the service processes (web + worker + Postgres + Redis) per redemption answered.
    const serviceCpu = (x: { cpuMsPerRedemption?: Record<string, number> }) => (x.cpuMsPerRedemption ? ms(serviceCpuMs(x.cpuMsPerRedemption)) : "–");
    out.push(row(["load", "achieved/s", "p50 ms", "p99 ms", "p99.9 ms", "max ms", "errors", "service CPU ms per redemption", "vs pgbench uniform", "vs Hono"]), row(["---", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:"]));
    for (const c of s1?.closed ?? []) out.push(row([`closed loop, ${c.clients} client(s)`, n0(c.rate), ...lat(c), ms(c.latency.max), n0(c.errors), serviceCpu(c), pct(c.rate, pgbench?.uniform.tps), pct(c.rate, hono?.rate)]));
    for (const o of s1?.open ?? []) out.push(row([`open loop ${n0(o.offeredRate)}/s (${o.fractionOfS2 * 100} % of S2)`, n0(o.rate), ...lat(o), ms(o.latency.max), `${n0(o.errors)}${o.shed ? ` (${o.shed} shed)` : ""}`, serviceCpu(o), pct(o.rate, pgbench?.uniform.tps), pct(o.rate, hono?.rate)]));
    out.push("", "Open loop: request *i* is due at t0 + i/rate regardless of the others; latency runs from that due time, so a stall counts against every request it delays (no coordinated omission). Service CPU per redemption falls as the load rises: a lone request pays every hop (an HTTP read, a Redis call, a Postgres round trip, each waking an idle process) itself, a batch shares them.", "");
  }
  if (s2) {
    const keys = ["web", "worker", "postgres", "redis", "loadgen"];
    out.push("## S2 — sustained throughput, many accounts", "");
    out.push(`Closed loop, ${s2.clients} clients, random account among ${n0(s2.accounts)} per request: **${n0(s2.rate)} redemptions/s** (p50 ${ms(s2.latency.p50)} ms, p99 ${ms(s2.latency.p99)} ms, ${n0(s2.errors)} errors${s2.firstError ? `: ${s2.firstError}` : ""}) = ${pct(s2.rate, pgbench?.uniform.tps)} of pgbench uniform, ${pct(s2.rate, hono?.rate)} of Hono hello-world, ${pct(s2.rate, bullmq?.rate)} of the BullMQ round trip.`, "");
    out.push(row(["CPU ms per redemption", ...keys]), row(["---", ...keys.map(() => "---:")]), row(["", ...cpuCells(s2.cpuMsPerRedemption, keys)]), row(["cores busy", ...keys.map((k) => (s2.coresBusy[k] ?? 0).toFixed(2))]), "");
    out.push("CPU from /proc/<pid>/stat utime+stime deltas over the measuring window. Postgres = every `postgres` process and Redis = every `redis-server` process on the machine, so these two are only right on an otherwise idle machine. `loadgen` is this benchmark process (client side).", "");
  }
  if (r.scenarios.s2cluster) out.push(...renderS2Cluster(s2, r.scenarios.s2cluster, r.config));
  if (s3) {
    out.push("## S3 — one hot account", "");
    out.push(`Closed loop, ${s3.clients} clients, all on one account: **${n0(s3.rate)} redemptions/s** = ${pct(s3.rate, pgbench?.hot.tps)} of pgbench hot (${n0(pgbench?.hot.tps)}/s); p50 ${ms(s3.latency.p50)} ms, p99 ${ms(s3.latency.p99)} ms, p99.9 ${ms(s3.latency.p999)} ms; ${n0(s3.errors)} errors.`, "");
    out.push("Caveat: pgbench hot runs 32 backends on one row (a lock queue of 32), the service at most `WORKER_CONCURRENCY` per worker process; a ratio above 100 % means the service queues in BullMQ instead of in Postgres's lock manager, not that it beats Postgres.", "");
    out.push(`Ledger afterwards: balance ${n0(s3.balanceBefore)} → ${n0(s3.balanceAfter)} (${n0(s3.balanceBefore - s3.balanceAfter)} debits for ${n0(s3.ok)} answered 201), Σ ledger ${n0(s3.ledgerSum)} — **${s3.ledgerExact ? "exact" : "NOT EXACT"}**; \`checkInvariants\` on the bench database: ${s3.invariantViolations.length === 0 ? "no violations" : `violations in ${s3.invariantViolations.join(", ")}`}.`, "");
  }
  if (s4) {
    out.push("## S4 — inbound webhooks (signature verified, 10 % duplicates)", "");
    out.push(row(["load", "accepted/s", "p50 ms", "p99 ms", "p99.9 ms", "errors", "vs Hono"]), row(["---", "---:", "---:", "---:", "---:", "---:", "---:"]));
    out.push(row([`closed loop, ${s4.closed.clients} clients (${n0(s4.closed.duplicates)} duplicates)`, n0(s4.closed.rate), ...lat(s4.closed), n0(s4.closed.errors), pct(s4.closed.rate, hono?.rate)]));
    out.push(row([`open loop at ${n0(s4.atTarget.offeredRate)}/s`, n0(s4.atTarget.rate), ...lat(s4.atTarget), `${n0(s4.atTarget.errors)}${s4.atTarget.shed ? ` (${s4.atTarget.shed} shed)` : ""}`, pct(s4.atTarget.rate, hono?.rate)]));
    out.push("", `Inbox fully processed ${ms(s4.drainSecondsAfterLoad)} s after the closed-loop load ended${s4.drained ? "" : " (**not drained within the bound**)"}: ${n0(s4.stored)} stored webhooks processed end to end at ${n0(s4.processedPerSecond)}/s. CPU ms per accepted webhook: ${Object.entries(s4.cpuMsPerWebhook).map(([k, v]) => `${k} ${ms(v)}`).join(", ")}. The events are payments without loyalty discounts, which the INSERT that accepts them stores processed (no job, no worker); a webhook that names a redemption is applied by a worker in a transaction of its own, not measured here.`, "");
  }
  if (s5) {
    out.push("## S5 — outbound deliveries", "");
    out.push(row(["run", "fast endpoint deliveries/s", "vs raw undici POST", "slow endpoint (2 s) received", "worker CPU ms/delivery"]), row(["---", "---:", "---:", "---:", "---:"]));
    const runsOf = (run: { runs?: number; events: number }) => `${run.runs ?? 1} × ${n0(run.events / (run.runs ?? 1))} events`;
    out.push(row([`one fast endpoint, ${runsOf(s5.alone)}`, n0(s5.alone.fastPerSecond), pct(s5.alone.fastPerSecond, rawPost?.rate), "–", ms(s5.alone.cpuMsPerDelivery.worker)]));
    out.push(row([`fast + slow endpoint, ${runsOf(s5.besideSlow)}`, n0(s5.besideSlow.fastPerSecond), pct(s5.besideSlow.fastPerSecond, rawPost?.rate), n0(s5.besideSlow.slowReceived), ms(s5.besideSlow.cpuMsPerDelivery.worker)]));
    if (s5.besideFast) out.push(row([`fast + another fast endpoint (control: the same fan-out), ${runsOf(s5.besideFast)}`, n0(s5.besideFast.fastPerSecond), pct(s5.besideFast.fastPerSecond, rawPost?.rate), "–", ms(s5.besideFast.cpuMsPerDelivery.worker)]));
    out.push("", `From the commit of the event rows to the fast endpoint's last delivery (relay → BullMQ → signed POST), one worker process; runs in A B C C B A order after an unmeasured one of the same size, each case's rate over its runs' summed time. Beside a slow endpoint the fast one kept ${pct(s5.besideSlow.fastPerSecond, s5.alone.fastPerSecond)} of its rate alone; beside another fast one ${pct(s5.besideFast?.fastPerSecond, s5.alone.fastPerSecond)}. Both neighbours make the relay write a second delivery per event; the fast one also takes a share of the worker's sends, the slow one holds its ${s5.config.WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT ?? "capped number of"} sends in flight for 2 s each. Slowness that held the fast endpoint back would show as the first figure falling below the second. ${Object.entries(s5.config).map(([k, v]) => `\`${k}\`=${v}`).join(", ")}.`, "");
  }
  if (queueMemory || soak) {
    out.push("## S6 — memory", "");
    if (queueMemory) {
      out.push(
        `Backlog of ${n0(queueMemory.jobs)} real \`execute-request\` jobs (paused queue): **Redis ${kib(queueMemory.redisBytesPer10k)} per 10,000 queued jobs** (used_memory delta; shared Redis), worker RSS ${mib(queueMemory.workerRssIdle)} idle, ${mib(queueMemory.workerRssGrowthPer10kQueued)} more per 10,000 queued, peak +${mib(queueMemory.workerRssPeakGrowthDraining)} while draining. One worker drained the no-op jobs at ${n0(queueMemory.drainPerSecond)}/s = ${pct(queueMemory.drainPerSecond, bullmq?.rate)} of the BullMQ round trip.`,
        "",
      );
    }
    if (soak) {
      out.push(`Soak: open loop at ${n0(soak.rate)} redemptions/s (25 % of S2) for ${n0(soak.seconds)} s after ${n0(soak.settleSeconds)} s unsampled at that rate for the heap to settle from S1–S4 (${n0(soak.load.ok)} answered, ${n0(soak.load.errors)} errors, p99 ${ms(soak.load.latency.p99)} ms), ${soak.samples} samples; first vs last ${n0(soak.windowSeconds)} s:`, "");
      out.push(row(["series", "first", "last", "slope"]), row(["---", "---:", "---:", "---:"]));
      for (const [name, s] of [["web heap used (/metrics)", soak.webHeapUsed], ["web RSS", soak.webRss], ["worker RSS", soak.workerRss]] as const) {
        out.push(row([name, mib(s.first), mib(s.last), `${(s.slopePerMinute / 2 ** 20).toFixed(2)} MiB/min`]));
      }
      out.push("");
    }
  }

  if (r.scenarios.s7 || r.scenarios.s7uncapped) out.push(...renderS7(r.scenarios.s7, r.scenarios.s7uncapped));

  // Hand-written history of the optimisation work (before/after runs of the focused scripts).
  const history = new URL("../../bench/optimizations.md", import.meta.url);
  if (existsSync(history)) out.push(readFileSync(history, "utf8").trim(), "");

  const m = r.machine;
  out.push("## Machine and versions", "");
  out.push(`- CPU: ${m.nproc} × ${m.cpuModel}; memory ${m.memoryGiB.toFixed(1)} GiB; kernel ${m.kernel}; load average at start ${m.loadAverageAtStart}`);
  out.push(`- Node ${m.node}; PostgreSQL ${m.postgres}; Redis ${m.redis}`);
  out.push(`- Packages (installed): ${Object.entries(m.packages).map(([k, v]) => `${k} ${v}`).join(", ")}`, "");
  out.push(
    "## How to reproduce",
    "",
    "```sh",
    "npm run bench          # full run, ≈ 12–14 min including a 6-minute soak (SOAK_SECONDS=… to change)",
    "npm run bench:smoke    # every phase a few seconds: proves the suite works",
    "WORKERS=2 WORKER_CONCURRENCY=32 DATABASE_POOL_SIZE=20 npm run bench   # service knobs pass through",
    "BENCH_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' npm run bench:smoke   # profile web and worker",
    "BENCH_ONLY=s2,s2cluster npm run bench   # S2 single-node beside S2 on a private Redis Cluster + PgBouncer (2 web + 2 worker)",
    "```",
    "",
    "Needs PostgreSQL on 127.0.0.1:5432 (trust auth), Redis on 127.0.0.1:6379, `pgbench` on the PATH, and an otherwise idle machine (Postgres and Redis CPU are counted machine-wide).",
    "Each run creates its own `lr_bench_*` databases and `lrb_*` queue prefixes and drops them at the end, also on failure or Ctrl-C. Raw figures: `bench/last-run.json`.",
    "",
  );
  return out.join("\n");
}

/** Redis bytes per 10,000 queued jobs in the last full run before the batched design (commit b0715d7), for S6. */
const S6_BASELINE_QUEUE_BYTES_PER_10K = 9247 * 1024;

/** The idle-round-trip table and what the lone redemption's hops cost at it (S1's floor). */
function renderIdleRoundTrips(rows: IdleRoundTrip[]): string[] {
  const { postgres, redis } = LONE_REDEMPTION_HOPS;
  return [
    "Round trip to a process that has been idle (`SELECT 1` over one connection, Redis `PING`; p50 of many, each after the pause):",
    "",
    row(["idle pause before each", "Postgres ms", "Redis ms"]),
    row(["---", "---:", "---:"]),
    ...rows.map((r) => row([r.pauseMs === 0 ? "none (back to back)" : `${r.pauseMs} ms`, ms(r.postgresP50Ms), ms(r.redisP50Ms)])),
    "",
    `A lone redemption makes ${postgres} Postgres and ${redis} Redis round trips one after another (web: rate limit, pending-row INSERT, job add, outcome read; worker: wake-up, fetch, the second fetch BullMQ makes for its other slots before it starts the job, BEGIN, request lock, reward read, create, COMMIT; then the outcome notice, published as the job finishes). Priced at the 1 ms and the 10 ms rows, the hops alone cost **${ms(hopFloorMs(rows, 1))}–${ms(hopFloorMs(rows, 10))} ms**, before the HTTP exchange, the SQL's execution and four processes' JavaScript. S1's 4 ms target leaves at most ${ms(Math.max(0, 4 - (hopFloorMs(rows, 1) ?? 0)))} ms for all of those.`,
    "",
  ];
}

/** The disk-flush ceiling: the tail every commit (and so every p99) stands on. */
function renderDiskFlush(d: DiskFlushCeiling): string[] {
  const device = d.sameDeviceAsPostgres === undefined ? "device of Postgres's WAL unknown" : d.sameDeviceAsPostgres ? "the device of Postgres's WAL" : "not the device of Postgres's WAL";
  return [
    `Disk flush (8 KiB write + \`fdatasync\`, every 2 ms for ${d.seconds} s, ${device}): ${n0(d.flushes)} flushes, p50 ${ms(d.p50Ms)} ms, p99 ${ms(d.p99Ms)} ms, p99.9 ${ms(d.p999Ms)} ms, **max ${ms(d.maxMs)} ms**; ${n0(d.over25Ms)} slower than 25 ms. A commit returns only when its WAL is flushed, and a group commit's requests share one flush, so a slow flush stalls every request in flight at that moment for as long as it lasts.`,
    "",
  ];
}

/** The processes a redemption's CPU is summed over (the load generator is the client, not the service). */
const SERVICE_PROCESSES = ["web", "worker", "postgres", "redis"];
/** CPU ms per operation summed over SERVICE_PROCESSES. */
const serviceCpuMs = (perProcess: Record<string, number>) => SERVICE_PROCESSES.reduce((sum, k) => sum + (perProcess[k] ?? 0), 0);

/** The issue's goals ("Throughput close to the machine's limit"), each with its verdict from this run. */
function renderTargets(r: Results): string[] {
  const { pgbench, hono, rawPost } = r.ceilings;
  const { s1, s2, s3, s4, s5, soak, queueMemory, s7 } = r.scenarios;
  const oneClient = s1?.closed.find((c) => c.clients === 1);
  const half = s1?.open.find((o) => o.fractionOfS2 === 0.5);
  const s2Cpu = s2 ? serviceCpuMs(s2.cpuMsPerRedemption) : undefined;
  const hops = r.ceilings.idleRoundTrips ?? [];
  const flush = r.ceilings.diskFlush;
  const heapSlope = soak ? soak.webHeapUsed.slopePerMinute / 2 ** 20 : undefined;
  const rows: [string, string, boolean | undefined][] = [
    [
      "S2 ≥ 100 % of the pgbench ceiling (uniform), total CPU ≤ 1.5 ms per redemption (web + worker + Postgres + Redis)",
      `${n0(s2?.rate)}/s = ${pct(s2?.rate, pgbench?.uniform.tps)} of ${n0(pgbench?.uniform.tps)}/s; CPU ${ms(s2Cpu)} ms`,
      s2 && pgbench && s2Cpu !== undefined ? s2.rate >= pgbench.uniform.tps && s2Cpu <= 1.5 : undefined,
    ],
    ["S1 p50 ≤ 4 ms at 1 client", `${ms(oneClient?.latency.p50)} ms (the hops alone cost ${ms(hopFloorMs(hops, 1))}–${ms(hopFloorMs(hops, 10))} ms here, see Ceilings)`, oneClient ? oneClient.latency.p50 <= 4 && oneClient.errors === 0 : undefined],
    ["S1 p99 ≤ 25 ms at 50 % of S2 (open loop)", `${ms(half?.latency.p99)} ms at ${n0(half?.offeredRate)}/s, ${n0(half?.errors)} errors${flush ? ` (this disk's flush p99.9 ${ms(flush.p999Ms)} ms, max ${ms(flush.maxMs)} ms, see Ceilings)` : ""}`, half ? half.latency.p99 <= 25 && half.errors === 0 : undefined],
    [
      "S3 ≥ 90 % of the hot-row ceiling, ledger exact",
      `${n0(s3?.rate)}/s = ${pct(s3?.rate, pgbench?.hot.tps)} of ${n0(pgbench?.hot.tps)}/s; ledger ${s3 ? (s3.ledgerExact && s3.invariantViolations.length === 0 ? "exact" : "NOT exact") : "–"}`,
      s3 && pgbench ? s3.rate >= 0.9 * pgbench.hot.tps && s3.ledgerExact && s3.invariantViolations.length === 0 : undefined,
    ],
    [
      "S4 ≥ 15 % of Hono hello-world; at 2,500/s offered nothing shed or answered 5xx",
      `closed loop ${n0(s4?.closed.rate)}/s = ${pct(s4?.closed.rate, hono?.rate)} of ${n0(hono?.rate)}/s; at ${n0(s4?.atTarget.offeredRate)}/s offered ${n0(s4?.atTarget.rate)}/s answered, ${n0(s4?.atTarget.shed)} shed, ${n0(s4?.atTarget.errors)} errors, p99 ${ms(s4?.atTarget.latency.p99)} ms`,
      s4 && hono ? s4.closed.rate >= 0.15 * hono.rate && s4.atTarget.errors === 0 && s4.atTarget.shed === 0 : undefined,
    ],
    [
      "S5 ≥ 10 % of raw undici POST to one endpoint; a slow endpoint costs the others < 10 %",
      `${n0(s5?.alone.fastPerSecond)}/s = ${pct(s5?.alone.fastPerSecond, rawPost?.rate)} of ${n0(rawPost?.rate)}/s; beside the slow one ${n0(s5?.besideSlow.fastPerSecond)}/s (${pct(s5?.besideSlow.fastPerSecond, s5?.alone.fastPerSecond)})`,
      s5 && rawPost ? s5.alone.fastPerSecond >= 0.1 * rawPost.rate && s5.besideSlow.fastPerSecond >= 0.9 * s5.alone.fastPerSecond : undefined,
    ],
    [
      "S6 unchanged or better: Redis bytes per queued job (≤ the last run before batching, 9,247 KiB per 10,000), flat heap over the soak (|slope| < 0.5 MiB/min)",
      `${kib(queueMemory?.redisBytesPer10k)} per 10,000 queued jobs; web heap ${heapSlope === undefined ? "–" : heapSlope.toFixed(2)} MiB/min`,
      queueMemory && heapSlope !== undefined ? queueMemory.redisBytesPer10k <= 1.05 * S6_BASELINE_QUEUE_BYTES_PER_10K && Math.abs(heapSlope) < 0.5 : undefined,
    ],
    [
      "S7 a merchant flooding creates up to its rate limit keeps another's p99 within 2× its quiet p99",
      s7 ? `${s7.overLimit.p99Ratio.toFixed(2)}× with A at ${s7.overLimit.flood.factor}× its ${n0(s7.limitPerSecond)}/s limit (B p99 ${ms(s7.quiet.latency.p99)} → ${ms(s7.overLimit.flooded.latency.p99)} ms); ${s7.atLimit.p99Ratio.toFixed(2)}× with A at its limit` : "–",
      s7 ? s7Met(s7) : undefined,
    ],
  ];
  return ["## Where we land against the issue's targets", "", row(["target", "measured", "verdict"]), row(["---", "---", "---"]), ...rows.map(([target, measured, ok]) => row([target, measured, verdict(ok)])), ""];
}

function renderS7(capped: S7Result | undefined, uncapped: S7UncappedResult | undefined): string[] {
  const cells = (name: string, x: LoadResult & { offeredRate?: number }) => row([name, x.offeredRate === undefined ? "closed loop" : n0(x.offeredRate), n0(x.rate), ...lat(x), n0(x.errors)]);
  const header = [row(["traffic", "offered/s", "answered/s", "p50 ms", "p99 ms", "p99.9 ms", "errors"]), row(["---", "---:", "---:", "---:", "---:", "---:", "---:"])];
  const answers = (f: LimitedFlood) => `${n0(f.accepted / f.seconds)}/s accepted, ${n0(f.refused / f.seconds)}/s refused with 429`;
  const out = ["## S7 — noisy neighbour (fair to every merchant)", ""];
  if (capped) {
    const { atLimit, overLimit } = capped;
    out.push(
      `**Against the rate limit (the verdict).** A service of its own with the per-key limits it ships with (\`RATE_LIMIT_PER_SECOND=${capped.limitPerSecond}\`, \`RATE_LIMIT_BURST=${capped.burst}\`). Merchant B sends an open-loop trickle alone, then while merchant A sends exactly its limit (${answers(atLimit.flood)}), then while A floods at ${overLimit.flood.factor}× its limit (${answers(overLimit.flood)}; A's token bucket admits its burst once, then one request every 1/limit s). B's p99 = **${atLimit.p99Ratio.toFixed(2)}×** its quiet p99 with A at its limit, **${overLimit.p99Ratio.toFixed(2)}×** with A flooding (target ≤ 2× under the flood: ${verdict(s7Met(capped))}).`,
      "",
      ...header,
      cells("B alone", capped.quiet),
      cells("B while A sends its limit", atLimit.flooded),
      cells(`A at its limit`, atLimit.flood),
      cells(`B while A floods at ${overLimit.flood.factor}×`, overLimit.flooded),
      cells(`A flooding (201 and 429 answers)`, overLimit.flood),
      "",
    );
  }
  if (uncapped) {
    out.push(
      `**Uncapped (informational).** On the main benchmark service, whose limits are far above what the machine serves, A floods with ${uncapped.floodClients} closed-loop clients — the whole machine's capacity, which no real deployment's limit gives one merchant. B's p99 = ${uncapped.p99Ratio.toFixed(2)}× its quiet p99.`,
      "",
      ...header,
      cells("B alone", uncapped.quiet),
      cells("B during A's flood", uncapped.flooded),
      cells("A's flood", uncapped.flood),
      "",
    );
  }
  out.push(
    "How: the rate limit bounds what one API key may ask for; beyond it, the web takes a backlog round-robin across merchants into its batches, enqueues one create job per merchant prioritised by how busy the merchant keeps the process (a flood gets a high number and waits behind its neighbours), and the worker shares its group commits round-robin across merchants.",
    "",
  );
  return out;
}

/** S7's target: B served throughout and its p99 within 2× while A floods past its limit. */
const s7Met = (s7: S7Result) => s7.overLimit.p99Ratio <= 2 && s7.overLimit.flooded.errors === 0 && s7.atLimit.flooded.errors === 0;

/** S2 on a private Redis Cluster + PgBouncer (2 web + 2 worker processes) beside the single-node S2. */
function renderS2Cluster(single: S2Result | undefined, c: S2ClusterResult, config: Record<string, string | number> | undefined): string[] {
  const keys = SERVICE_PROCESSES;
  const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || !b || !Number.isFinite(a) ? "–" : `${(a / b).toFixed(2)}×`);
  const line = (name: string, s: S2Result, vs: string) =>
    row([name, n0(s.rate), ms(s.latency.p50), ms(s.latency.p99), n0(s.errors), ...cpuCells(s.cpuMsPerRedemption, keys), ms(serviceCpuMs(s.cpuMsPerRedemption)), vs]);
  const singleName = `single node: ${config?.web_processes ?? 1} web + ${config?.worker_processes ?? 1} worker, shared Redis, direct Postgres`;
  return [
    "## S2 on a Redis Cluster + PgBouncer",
    "",
    `The S2 closed loop again (${c.clients} clients, random account among ${n0(c.accounts)}, same window) against ${c.webProcesses} web + ${c.workerProcesses} worker processes with every Redis use on a private Redis Cluster (${c.redisNodes}, \`REDIS_CLUSTER_NODES\`) and Postgres through a private PgBouncer (\`pool_mode=transaction\`, \`default_pool_size=${c.pgbouncerPoolSize}\`; \`DATABASE_POOLING=transaction\`, \`DATABASE_POOL_SIZE=${c.databasePoolSize}\` per process) in front of the same Postgres. Requests alternate between the two web ports one by one.`,
    "",
    row(["setup", "rate/s", "p50 ms", "p99 ms", "errors", "CPU ms/redemption web", "worker", "postgres (+ pgbouncer)", "redis", "total", "rate vs single node"]),
    row(["---", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:"]),
    ...(single ? [line(singleName, single, "1.00×")] : []),
    line(`cluster: ${c.webProcesses} web + ${c.workerProcesses} worker, Redis Cluster, PgBouncer`, c, ratio(c.rate, single?.rate)),
    "",
    `Total CPU per redemption on the cluster = ${ratio(serviceCpuMs(c.cpuMsPerRedemption), single ? serviceCpuMs(single.cpuMsPerRedemption) : undefined)} the single node's.${c.firstError ? ` First error: ${c.firstError}` : ""} Redis = every \`redis-server\` on the machine (the six private nodes, the shared one, idle during this phase, and any other running); postgres = every \`postgres\` process plus the private PgBouncer. Same caveat as S2: only right on an otherwise idle machine; and with few cores the extra processes share the same CPUs, so the ratio shows what the topology costs more than how it scales.`,
    "",
  ];
}

// Last, so that the module's constants (SERVICE_PROCESSES, …) are initialised when it renders.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.stdout.write(renderReport(JSON.parse(readFileSync(process.argv[2] ?? "bench/last-run.json", "utf8")) as Results));
}
