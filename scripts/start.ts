import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { loadConfigOrExit } from "../src/bin/load-config.js";
import { createLogger } from "../src/logger.js";

/**
 * `npm start`: what the Procfile does in production, on one machine — run `release` (migrations) to
 * completion, then a `web` and a `worker` process. Signals are forwarded; if either child exits, the
 * other is stopped too, so a crash is never silently half-running. Each child stops itself within
 * SHUTDOWN_TIMEOUT_MS; one that has not shortly after is killed, and the exit code says so.
 */
const config = loadConfigOrExit();
const logger = createLogger(config.LOG_LEVEL, { process: "start" });
const dist = fileURLToPath(new URL("..", import.meta.url));
const release = spawnSync(process.execPath, [`${dist}/src/bin/release.js`], { stdio: "inherit" });
if (release.status !== 0) process.exit(release.status ?? 1);

const children: ChildProcess[] = [
  spawn(process.execPath, [`${dist}/src/bin/web.js`], { stdio: "inherit" }),
  spawn(process.execPath, [`${dist}/jobs/main.js`], { stdio: "inherit" }),
];
let exiting = false;
let exitCode = 0;
const stopAll = (signal: NodeJS.Signals) => {
  if (exiting) return;
  exiting = true;
  for (const child of children) if (child.exitCode === null) child.kill(signal);
  setTimeout(() => {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) {
        logger.error({ child_pid: child.pid }, "child did not stop within SHUTDOWN_TIMEOUT_MS; killing it");
        child.kill("SIGKILL");
      }
    }
  }, config.SHUTDOWN_TIMEOUT_MS + 500).unref();
};
for (const child of children) {
  child.on("exit", (code, signal) => {
    if (code !== 0) exitCode = code ?? 1;
    if (signal === "SIGKILL") exitCode = 1;
    stopAll("SIGTERM");
    if (children.every((each) => each.exitCode !== null || each.signalCode !== null)) process.exit(exitCode);
  });
}
process.on("SIGTERM", () => stopAll("SIGTERM"));
process.on("SIGINT", () => stopAll("SIGINT"));
