import { loadConfigOrExit } from "../src/bin/load-config.js";
import { buildWorkerDeps, closeWorkerDeps } from "./deps.js";
import { startWorkers } from "./worker.js";

/** Procfile `worker`. On SIGTERM it stops taking jobs and lets running ones finish (BullMQ close). */
const config = loadConfigOrExit();
const deps = buildWorkerDeps(config);
const running = startWorkers(deps);
deps.logger.info({ concurrency: config.WORKER_CONCURRENCY }, "worker started");

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  deps.logger.info({ signal }, "worker stopping: finishing running jobs");
  await running.close();
  await closeWorkerDeps(deps);
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
