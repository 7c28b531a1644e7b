import { Redis } from "ioredis";
import { createQueues, closeQueues, enqueueMany } from "../../src/queue/producer.js";
import { newId } from "../../src/ids.js";
import {
  benchEnv, cleanup, openLoop, redeem, redisInfo, REDIS_URL, rssBytes, runRelease, scrapeMetric, secs, sleep, startProcess, stopProcess, waitUntil,
  type LoadResult,
} from "../lib.js";
import { pick, type RedemptionContext } from "./context.js";

export interface QueueMemory {
  jobs: number;
  redisBytesPer10k: number;
  /** Worker RSS while the backlog sits in Redis (queue paused) and its peak while draining, minus idle. */
  workerRssIdle: number;
  workerRssGrowthPer10kQueued: number;
  workerRssPeakGrowthDraining: number;
  /** No-op `execute-request` jobs (unknown request id) drained per second by one worker process. */
  drainPerSecond: number;
}

/**
 * S6a — what a backlog costs: `jobs` real `execute-request` jobs (the service's producer, options and
 * queue) added to a paused queue; Redis `used_memory` delta (shared Redis: noisy unless idle) and the
 * worker's RSS; then the queue is resumed and the drain timed.
 */
export async function queueMemory(): Promise<QueueMemory> {
  const jobs = secs(10_000, 2_000);
  const bench = benchEnv(0, { SWEEP_INTERVAL_MS: "600000" });
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const queues = createQueues(redis, bench.prefix);
  let worker: ReturnType<typeof startProcess> | undefined;
  try {
    await runRelease(bench.env);
    await queues.requests.pause();
    worker = startProcess("jobs/main.js", bench.env);
    await sleep(secs(3, 2) * 1000);
    const workerRssIdle = rssBytes(worker.pid!);
    const before = Number((await redisInfo("memory")).used_memory);
    for (let at = 0; at < jobs; at += 1000) {
      await enqueueMany(queues, "execute-request", Array.from({ length: Math.min(1000, jobs - at) }, () => { const id = newId("idempotency"); return { payload: { requestId: id }, jobId: id }; }));
    }
    const after = Number((await redisInfo("memory")).used_memory);
    await sleep(500);
    const rssQueued = rssBytes(worker.pid!);
    let peak = rssQueued;
    const started = performance.now();
    await queues.requests.resume();
    await waitUntil(async () => {
      peak = Math.max(peak, rssBytes(worker!.pid!));
      const counts = await queues.requests.getJobCounts("waiting", "active", "prioritized");
      return (counts.waiting ?? 0) + (counts.active ?? 0) + (counts.prioritized ?? 0) === 0;
    }, secs(120, 60) * 1000, 50);
    const seconds = (performance.now() - started) / 1000;
    return {
      jobs,
      redisBytesPer10k: ((after - before) * 10_000) / jobs,
      workerRssIdle,
      workerRssGrowthPer10kQueued: ((rssQueued - workerRssIdle) * 10_000) / jobs,
      workerRssPeakGrowthDraining: peak - workerRssIdle,
      drainPerSecond: jobs / seconds,
    };
  } finally {
    if (worker) await stopProcess(worker, 10_000);
    await closeQueues(queues);
    redis.disconnect();
    await cleanup(bench);
  }
}

export interface Sample {
  t: number;
  webHeapUsed: number;
  webRss: number;
  workerRss: number;
}

export interface SoakSeries {
  first: number;
  last: number;
  /** Least-squares slope over the whole soak, bytes per minute. */
  slopePerMinute: number;
}

export interface SoakResult {
  /** Unsampled seconds at the soak's rate before the samples start. */
  settleSeconds: number;
  seconds: number;
  rate: number;
  load: LoadResult;
  windowSeconds: number;
  samples: number;
  webHeapUsed: SoakSeries;
  webRss: SoakSeries;
  workerRss: SoakSeries;
}

function series(samples: Sample[], key: keyof Omit<Sample, "t">, window: number): SoakSeries {
  const end = samples.at(-1)!.t;
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const first = mean(samples.filter((s) => s.t <= window).map((s) => s[key]));
  const last = mean(samples.filter((s) => s.t >= end - window).map((s) => s[key]));
  const tm = mean(samples.map((s) => s.t));
  const ym = mean(samples.map((s) => s[key]));
  const num = samples.reduce((acc, s) => acc + (s.t - tm) * (s[key] - ym), 0);
  const den = samples.reduce((acc, s) => acc + (s.t - tm) ** 2, 0);
  return { first, last, slopePerMinute: den === 0 ? 0 : (num / den) * 60 };
}

/**
 * S6b — soak: an open loop of redemptions at `rate` for SOAK_SECONDS (default 300; smoke 20), sampling
 * the web heap (`nodejs_heap_size_used_bytes` from /metrics), web RSS and worker RSS (/proc) every 5 s
 * (smoke 1 s). Reports the mean of the first vs the last minute (or third, if shorter) and the slope.
 * The soak follows S1–S4 on the same service, whose 64 clients leave a larger heap than 25 % of S2
 * needs; V8 gives it back over minutes, which once read as a falling slope (-4.2 MiB/min). A minute
 * at the soak's own rate first, unsampled, lets the heap settle, so the slope is the soak's alone.
 */
export async function soak(ctx: RedemptionContext, rate: number): Promise<SoakResult> {
  const seconds = Number(process.env.SOAK_SECONDS ?? secs(300, 20));
  const settleSeconds = secs(60, 2);
  await openLoop(rate, settleSeconds * 1000, () => redeem(ctx.svc.api, pick(ctx.accounts), ctx.reward));
  const every = secs(5, 1) * 1000;
  const samples: Sample[] = [];
  const t0 = performance.now();
  let running = true;
  const sampler = (async () => {
    while (running && samples.length < 10_000) {
      try {
        samples.push({
          t: (performance.now() - t0) / 1000,
          webHeapUsed: await scrapeMetric(ctx.svc, "nodejs_heap_size_used_bytes"),
          webRss: rssBytes(ctx.svc.web.pid!),
          workerRss: ctx.svc.workers.reduce((sum, worker) => sum + rssBytes(worker.pid!), 0),
        });
      } catch (error) {
        console.error("soak sample failed:", String(error));
      }
      await sleep(every);
    }
  })();
  const load = await openLoop(rate, seconds * 1000, () => redeem(ctx.svc.api, pick(ctx.accounts), ctx.reward));
  running = false;
  await sampler;
  const window = Math.min(60, seconds / 3);
  return {
    settleSeconds,
    seconds,
    rate,
    load,
    windowSeconds: window,
    samples: samples.length,
    webHeapUsed: series(samples, "webHeapUsed", window),
    webRss: series(samples, "webRss", window),
    workerRss: series(samples, "workerRss", window),
  };
}
