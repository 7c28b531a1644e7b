import { closedLoop, CpuMeter, secs, startService, type LoadResult } from "./lib.js";

/**
 * The rate limiter's cost per request: the same read (`GET /v1/loyalty/accounts/:id`, the cheapest
 * authenticated call, so the limiter's share is at its largest) with the limits off (`0`) and on but
 * set too high to refuse anything, in alternating runs (off, on, off, on) so drift on a shared machine
 * hits both. Reported: p50 at 1 client, and the web process's CPU per request at 16 clients.
 *
 *   npm run bench:rate-limiter            (BENCH_MODE=smoke for a quick look)
 */
const LIMITS = {
  off: { RATE_LIMIT_PER_SECOND: "0" },
  on: { RATE_LIMIT_PER_SECOND: "1000000", RATE_LIMIT_BURST: "1000000" },
} as const;

interface Run {
  mode: keyof typeof LIMITS;
  p50AtOneClient: number;
  throughputAt16: number;
  webCpuMsPerRequest: number;
}

async function measure(mode: keyof typeof LIMITS): Promise<Run> {
  const svc = await startService({ workers: 0, env: LIMITS[mode] });
  try {
    const created = await svc.api.call("POST", "/v1/loyalty/accounts", { customer: "bench" });
    const path = `/v1/loyalty/accounts/${created.body.id}`;
    const read = async () => {
      const res = await svc.api.call("GET", path);
      if (res.status !== 200) throw new Error(`GET answered ${res.status}`);
    };
    await closedLoop(8, secs(2, 1) * 1000, read); // warm-up: JIT, prepared statements, pool
    const single: LoadResult = await closedLoop(1, secs(6, 2) * 1000, read);
    const meter = new CpuMeter({ web: () => [svc.web.pid!] });
    meter.start();
    const loaded = await closedLoop(16, secs(8, 2) * 1000, read);
    const cpu = meter.stop();
    return {
      mode,
      p50AtOneClient: single.latency.p50,
      throughputAt16: loaded.rate,
      webCpuMsPerRequest: (cpu.cpuSeconds.web! * 1000) / loaded.ok,
    };
  } finally {
    await svc.stop();
  }
}

const runs: Run[] = [];
for (const mode of ["off", "on", "off", "on"] as const) runs.push(await measure(mode));
const mean = (mode: Run["mode"], key: keyof Omit<Run, "mode">) => {
  const of = runs.filter((run) => run.mode === mode);
  return of.reduce((sum, run) => sum + run[key], 0) / of.length;
};
const summary = {
  p50_ms: { off: mean("off", "p50AtOneClient"), on: mean("on", "p50AtOneClient") },
  web_cpu_ms_per_request: { off: mean("off", "webCpuMsPerRequest"), on: mean("on", "webCpuMsPerRequest") },
  requests_per_second_16_clients: { off: mean("off", "throughputAt16"), on: mean("on", "throughputAt16") },
};
console.log(JSON.stringify({ runs, summary }, null, 2));
console.log(
  `rate limiter: +${(summary.web_cpu_ms_per_request.on - summary.web_cpu_ms_per_request.off).toFixed(3)} ms web CPU per request, ` +
    `p50 ${summary.p50_ms.off.toFixed(2)} → ${summary.p50_ms.on.toFixed(2)} ms at 1 client`,
);
process.exit(0);
