import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, type WriteStream } from "node:fs";
import { join } from "node:path";

/**
 * The service's real processes, started the way the Procfile starts them (`node <build>/src/bin/web.js`,
 * `node <build>/jobs/main.js`), from a build of our own (test/helpers/build.ts): other test files
 * rebuild `dist/` while we run, and a process restarted mid-rewrite would load a half-written file.
 * Every line each process prints is also checked to be one JSON object (the log guarantee).
 */
/** The chaos load is far above the default rate limits; they are tested on their own (rate-limits.test.ts). */
const UNLIMITED = { RATE_LIMIT_PER_SECOND: "0", RATE_LIMIT_AUTH_FAILURES_PER_SECOND: "0", RATE_LIMIT_INBOUND_PER_SECOND: "0" };

type Script = "src/bin/release.js" | "src/bin/web.js" | "jobs/main.js";

export interface SigtermResult {
  /** SIGTERM to exit, or null if it was still running after the cap (then it was SIGKILLed). */
  ms: number | null;
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ManagedProcess {
  name: string;
  child: ChildProcess;
  /** Exits we did not cause (a crash): each is a finding. */
  unexpectedExits: { code: number | null; signal: NodeJS.Signals | null }[];
  killedByUs: number;
  start: () => void;
  kill9: () => void;
  /** SIGTERM and wait up to `capMs` for the exit (SIGKILL after that); not restarted. */
  sigterm: (capMs: number) => Promise<SigtermResult>;
  /** Graceful stop, bounded; -9 if it does not exit in time. */
  stop: () => Promise<void>;
}

export interface LogCheck {
  lines: number;
  nonJson: number;
  samples: string[];
}

const isJsonObject = (text: string) => {
  try {
    const value = JSON.parse(text) as unknown;
    return value !== null && typeof value === "object" && !Array.isArray(value);
  } catch {
    return false;
  }
};

/** Children we SIGKILLed: a last line they leave without its newline was cut short by us. */
const sigkilled = new WeakSet<ChildProcess>();

export class ProcessFleet {
  readonly processes: ManagedProcess[] = [];
  /** Per process name (across restarts): lines printed, and those that were not one JSON object. */
  readonly logs = new Map<string, LogCheck>();
  private readonly log: WriteStream;

  constructor(
    private readonly buildDir: string,
    private readonly env: Record<string, string>,
    logFile: string,
  ) {
    this.log = createWriteStream(logFile, { flags: "a" });
  }

  /** `env` on top of the fleet's (the cluster backend migrates straight to Postgres, not through PgBouncer). */
  async release(env: Record<string, string> = {}): Promise<void> {
    const child = this.spawn("src/bin/release.js", "release", env);
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    if (code !== 0) throw new Error(`chaos: release exited ${code}`);
  }

  add(name: string, script: Script): ManagedProcess {
    const markExpected = () => (managed.child as ChildProcess & { markExpected?: () => void }).markExpected?.();
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
        markExpected();
        managed.killedByUs++;
        sigkilled.add(managed.child);
        managed.child.kill("SIGKILL");
      },
      sigterm: async (capMs) => {
        const child = managed.child;
        markExpected();
        if (child.exitCode !== null || child.signalCode !== null) return { ms: 0, code: child.exitCode, signal: child.signalCode };
        const sent = Date.now();
        const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
        child.kill("SIGTERM");
        let timer: NodeJS.Timeout | undefined;
        const capped = await Promise.race([exited.then(() => false), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), capMs)))]);
        clearTimeout(timer);
        if (capped) {
          sigkilled.add(child);
          child.kill("SIGKILL");
        }
        const exit = await exited;
        this.log.write(`[chaos] ${name} after SIGTERM: ${capped ? `still running after ${capMs} ms, SIGKILLed` : `exited in ${Date.now() - sent} ms, code ${exit.code}, signal ${exit.signal}`}\n`);
        return { ms: capped ? null : Date.now() - sent, ...exit };
      },
      stop: async () => {
        const child = managed.child;
        markExpected();
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        const timer = setTimeout(() => {
          sigkilled.add(child);
          child.kill("SIGKILL");
        }, 10_000);
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

  private spawn(script: Script, name: string, extraEnv: Record<string, string> = {}): ChildProcess {
    const child = spawn(process.execPath, [join(this.buildDir, script)], { env: { ...process.env, ...UNLIMITED, ...this.env, ...extraEnv }, stdio: ["ignore", "pipe", "pipe"] });
    const prefix = `[${name} ${child.pid}] `;
    const check = this.logs.get(name) ?? { lines: 0, nonJson: 0, samples: [] };
    this.logs.set(name, check);
    const judge = (text: string, stream: string) => {
      check.lines++;
      if (isJsonObject(text)) return;
      check.nonJson++;
      if (check.samples.length < 5) check.samples.push(`${stream}: ${text.slice(0, 200)}`);
    };
    for (const stream of ["stdout", "stderr"] as const) {
      let partial = "";
      child[stream]!.on("data", (chunk: Buffer) => {
        const text = chunk.toString();
        this.log.write(text.replace(/^(?=.)/gm, prefix));
        const parts = (partial + text).split("\n");
        partial = parts.pop()!;
        for (const line of parts) judge(line, stream);
      });
      // A last line cut short by our kill -9 is ours, not the process's; any other is judged.
      child[stream]!.on("end", () => {
        if (partial !== "" && !sigkilled.has(child)) judge(partial, stream);
      });
    }
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
