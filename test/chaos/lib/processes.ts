import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, type WriteStream } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The service's real processes, started the way the Procfile starts them (`node <build>/src/bin/web.js`,
 * `node <build>/jobs/main.js`), from a build of our own: other test files rebuild `dist/` while we run,
 * and a process restarted mid-rewrite would load a half-written file.
 */
const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
export const BUILD_DIR = join(ROOT, ".chaos-build");

export function buildService(): void {
  execFileSync(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", join(ROOT, "tsconfig.json"), "--outDir", BUILD_DIR, "--sourceMap", "false", "--declaration", "false"], {
    stdio: "inherit",
  });
}

/** The chaos load is far above the default rate limits; they are tested on their own (rate-limits.test.ts). */
const UNLIMITED = { RATE_LIMIT_PER_SECOND: "0", RATE_LIMIT_AUTH_FAILURES_PER_SECOND: "0", RATE_LIMIT_INBOUND_PER_SECOND: "0" };

type Script = "src/bin/release.js" | "src/bin/web.js" | "jobs/main.js";

export interface ManagedProcess {
  name: string;
  child: ChildProcess;
  /** Exits we did not cause (a crash): each is a finding. */
  unexpectedExits: { code: number | null; signal: NodeJS.Signals | null }[];
  killedByUs: number;
  start: () => void;
  kill9: () => void;
  /** Graceful stop, bounded; -9 if it does not exit in time. */
  stop: () => Promise<void>;
}

export class ProcessFleet {
  readonly processes: ManagedProcess[] = [];
  private readonly log: WriteStream;

  constructor(
    private readonly env: Record<string, string>,
    logFile: string,
  ) {
    this.log = createWriteStream(logFile, { flags: "a" });
  }

  async release(): Promise<void> {
    const child = this.spawn("src/bin/release.js", "release");
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    if (code !== 0) throw new Error(`chaos: release exited ${code}`);
  }

  add(name: string, script: Script): ManagedProcess {
    const managed: ManagedProcess = {
      name,
      child: undefined as never,
      unexpectedExits: [],
      killedByUs: 0,
      start: () => {
        let expected = false;
        const child = this.spawn(script, name);
        managed.child = child;
        (child as ChildProcess & { markExpected?: () => void }).markExpected = () => (expected = true);
        child.on("exit", (code, signal) => {
          if (!expected) {
            managed.unexpectedExits.push({ code, signal });
            this.log.write(`[chaos] ${name} exited unexpectedly (code ${code}, signal ${signal}); restarting\n`);
            // Keep the fleet whole so the run can still drain; the crash is reported as a finding.
            setTimeout(() => managed.start(), 200);
          }
        });
      },
      kill9: () => {
        (managed.child as ChildProcess & { markExpected?: () => void }).markExpected?.();
        managed.killedByUs++;
        managed.child.kill("SIGKILL");
      },
      stop: async () => {
        const child = managed.child;
        (child as ChildProcess & { markExpected?: () => void }).markExpected?.();
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(timer);
      },
    };
    managed.start();
    this.processes.push(managed);
    return managed;
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.processes.map((managed) => managed.stop()));
    this.log.end();
  }

  private spawn(script: Script, name: string): ChildProcess {
    const child = spawn(process.execPath, [join(BUILD_DIR, script)], { env: { ...process.env, ...UNLIMITED, ...this.env }, stdio: ["ignore", "pipe", "pipe"] });
    const prefix = `[${name} ${child.pid}] `;
    const forward = (chunk: Buffer) => this.log.write(chunk.toString().replace(/^(?=.)/gm, prefix));
    child.stdout?.on("data", forward);
    child.stderr?.on("data", forward);
    return child;
  }
}

export async function waitReady(port: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(1000) }).then((r) => r.ok, () => false);
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error("chaos: web did not become ready");
}
