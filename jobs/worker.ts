import { MetricsTime, Worker } from "bullmq";
import { isOutage } from "../src/ops/outages.js";
import { PARTITIONED, QUEUES, queueName, type QueueKey } from "../src/queue/catalog.js";
import { bullConnection } from "../src/queue/redis.js";
import type { WorkerDeps } from "./deps.js";
import { JOB_HANDLERS, type JobHandler } from "./registry.js";
import { startExpiryLoop } from "./expiry-loop.js";
import { startRelayLoop } from "./relay-loop.js";
import { startSweepers } from "./sweepers.js";

export interface RunningWorkers {
  workers: Worker[];
  /** Stops taking jobs, lets the running ones finish, then stops the sweepers, the relay and the expiry. */
  close: () => Promise<void>;
}

export function startWorkers(deps: WorkerDeps, options: { sweepers?: boolean } = {}): RunningWorkers {
  let handlersRunning = 0;
  // One node: each worker opens its own connections, as before. A cluster: one shared lazy client the
  // workers' commands go through (each blocking fetch gets a duplicate), disconnected after they close.
  const { connection, dispose } = bullConnection(deps.config);
  // A partitioned queue's partitions share the process's concurrency for it: more partitions spread the
  // load over a cluster's masters, not over more database work at once.
  const queues = (Object.keys(QUEUES) as QueueKey[]).flatMap((key) => {
    const count = PARTITIONED.includes(key) ? deps.config.QUEUE_PARTITIONS : 1;
    const concurrency = Math.max(1, Math.ceil(concurrencyOf(deps.config, key) / count));
    return Array.from({ length: count }, (_, partition) => ({ name: queueName(key, partition), concurrency }));
  });
  const workers = queues.map(({ name, concurrency }) => {
    const worker = new Worker(
      name,
      async (job, token, signal) => {
        const handler = (JOB_HANDLERS as Record<string, JobHandler>)[job.name];
        if (!handler) throw new Error(`no handler for job ${job.name}`);
        // Every line a handler logs names its job, so one job's story can be read out of the stream.
        handlersRunning++;
        try {
          return await handler({ ...deps, logger: deps.logger.child({ job_id: job.id, job: job.name, queue: name }) }, job, token, signal);
        } finally {
          handlersRunning--;
        }
      },
      {
        connection,
        prefix: deps.config.QUEUE_PREFIX,
        concurrency,
        // Completed/failed counts kept in Redis by BullMQ, reported fleet-wide by the web's /metrics.
        metrics: { maxDataPoints: MetricsTime.ONE_WEEK },
        // A worker killed mid-job leaves its jobs "active" until their lock expires and a stalled-job
        // check moves them back (BullMQ's defaults: 30 s + up to 30 s). Sweepers cannot re-drive an
        // active job, so that is how long a kill -9 delays the work. Locks are renewed every half
        // period while a job runs, so a short lock costs one Redis call per 5 s per running job.
        lockDuration: 10_000,
        stalledInterval: 5_000,
      },
    );
    worker.on("error", (error) => deps.monitor.down("redis", error));
    // A job failing because Postgres or Redis is away is the outage, reported once by the monitor.
    worker.on("failed", (job, error) => {
      if (isOutage(error)) return;
      deps.logger.warn({ err: error, queue: name, job_id: job?.id, job: job?.name, attempt: job?.attemptsMade }, "job failed");
    });
    return worker;
  });
  const sweepers = options.sweepers === false ? null : startSweepers(deps);
  const relay = startRelayLoop(deps);
  const expiry = startExpiryLoop(deps);
  return {
    workers,
    close: async () => {
      // Running jobs are told (their signal): a delivery job stops claiming and ends within one send.
      for (const worker of workers) worker.cancelAllJobs("shutting down");
      const closing = Promise.all([...workers.map((worker) => worker.close()), sweepers?.stop(), relay.stop(), expiry.stop()]);
      // BullMQ's close waits on Redis even with nothing running. With Redis away and no handler running
      // there is nothing left to finish: drained (a job fetched just before would rerun elsewhere).
      await Promise.race([closing, until(() => handlersRunning === 0 && deps.monitor.isDown("redis"))]);
      dispose();
    },
  };
}

/** Jobs of one queue (all its partitions) one worker process runs at once. */
function concurrencyOf(config: WorkerDeps["config"], key: QueueKey): number {
  // Deliveries mostly wait on receivers' networks, so that queue runs many more at once.
  if (key === "deliveries") return config.WEBHOOK_DELIVERY_CONCURRENCY;
  // Request jobs wait on a shared group commit, not on a connection each: hold many at once.
  if (key === "requests") return config.REQUEST_JOBS_IN_FLIGHT;
  return config.WORKER_CONCURRENCY;
}

function until(condition: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      if (!condition()) return;
      clearInterval(timer);
      resolve();
    }, 100);
    timer.unref();
  });
}
