import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

/**
 * `npm start`: what the Procfile does in production, on one machine — run `release` (migrations) to
 * completion, then a `web` and a `worker` process. Signals are forwarded; if either child exits, the
 * other is stopped too, so a crash is never silently half-running.
 */
const dist = fileURLToPath(new URL("..", import.meta.url));
const release = spawnSync(process.execPath, [`${dist}/src/bin/release.js`], { stdio: "inherit" });
if (release.status !== 0) process.exit(release.status ?? 1);

const children: ChildProcess[] = [
  spawn(process.execPath, [`${dist}/src/bin/web.js`], { stdio: "inherit" }),
  spawn(process.execPath, [`${dist}/jobs/main.js`], { stdio: "inherit" }),
];
let exiting = false;
const stopAll = (signal: NodeJS.Signals) => {
  exiting = true;
  for (const child of children) if (child.exitCode === null) child.kill(signal);
};
for (const child of children) {
  child.on("exit", (code) => {
    if (!exiting) stopAll("SIGTERM");
    if (children.every((each) => each.exitCode !== null || each.signalCode !== null)) process.exit(code ?? 0);
  });
}
process.on("SIGTERM", () => stopAll("SIGTERM"));
process.on("SIGINT", () => stopAll("SIGINT"));
