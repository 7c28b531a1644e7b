import { loadConfigOrExit } from "../src/bin/load-config.js";
import { exitOnSignal } from "../src/ops/shutdown.js";
import { buildWorkerDeps, closeWorkerDeps } from "./deps.js";
import { startWorkers } from "./worker.js";

/** Procfile `worker`. On SIGTERM it stops taking jobs and lets running ones finish (BullMQ close). */
const config = loadConfigOrExit();
const deps = buildWorkerDeps(config);
const running = startWorkers(deps);
deps.logger.info({ concurrency: config.WORKER_CONCURRENCY }, "worker started");

exitOnSignal(deps.logger, config.SHUTDOWN_TIMEOUT_MS, {
  drain: () => running.close(),
  close: () => closeWorkerDeps(deps),
});
