import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { openSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** What the demo needs from a service it starts: loopback receivers allowed, retries in seconds. */
export const DEMO_SERVICE_ENV = { WEBHOOK_ALLOW_HOSTS: "127.0.0.1", WEBHOOK_RETRY_SCHEDULE: "1s,2s,5s" };

export interface Service {
  baseUrl: string;
  /** Null when the demo found a service already running (it is left alone). */
  logFile: string | null;
  stop: () => Promise<void>;
}

const dist = fileURLToPath(new URL("../..", import.meta.url));

async function isReady(baseUrl: string): Promise<boolean> {
  return fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(2_000) }).then((r) => r.ok, () => false);
}

const exited = (child: ChildProcess) =>
  new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once("exit", () => resolve())));

/**
 * Uses the service on PORT if one answers /readyz; otherwise does what `npm start` does — release
 * (migrations), then one web and one worker from dist/ — with the demo's settings, logging to a file so
 * the transcript stays readable. The processes it started are stopped (SIGTERM, graceful) by `stop`.
 */
export async function ensureService(port: number): Promise<Service> {
  const baseUrl = `http://127.0.0.1:${port}`;
  if (await isReady(baseUrl)) return { baseUrl, logFile: null, stop: async () => {} };

  const logFile = join(tmpdir(), `loyalty-demo-${process.pid}.log`);
  const log = openSync(logFile, "a");
  const env = { ...process.env, ...DEMO_SERVICE_ENV, PORT: String(port) };
  const release = spawnSync(process.execPath, [`${dist}/src/bin/release.js`], { env, stdio: ["ignore", log, log] });
  if (release.status !== 0) throw new Error(`migrations failed (exit ${release.status}); see ${logFile}`);

  const children = [`${dist}/src/bin/web.js`, `${dist}/jobs/main.js`].map((script) =>
    spawn(process.execPath, [script], { env, stdio: ["ignore", log, log] }),
  );
  const stop = async () => {
    for (const child of children) if (child.exitCode === null) child.kill("SIGTERM");
    await Promise.all(children.map(exited));
  };
  for (let i = 0; i < 200; i++) {
    if (await isReady(baseUrl)) return { baseUrl, logFile, stop };
    if (children.some((child) => child.exitCode !== null)) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stop();
  throw new Error(`the service did not become ready on ${baseUrl}; see ${logFile}`);
}
