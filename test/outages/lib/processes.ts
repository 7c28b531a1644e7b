import { spawn, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * One real process of the service (`web`, `worker`, `release` or `npm start`'s start.js), run from a
 * test build exactly as the Procfile runs it, with every line it prints on stdout and stderr captured
 * and timestamped: the log guarantees are judged on those lines.
 */
export interface Line {
  process: string;
  stream: "stdout" | "stderr";
  at: number;
  text: string;
}

export type Script = "src/bin/web.js" | "jobs/main.js" | "src/bin/release.js" | "scripts/start.js";

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  at: number;
}

export interface StopResult {
  /** From SIGTERM to exit, or null if it had not exited after `capMs` (then it was SIGKILLed). */
  ms: number | null;
  code: number | null;
  signal: NodeJS.Signals | null;
  killedAfterCap: boolean;
  /** It had exited before the SIGTERM (a crash, or an exit it chose): a finding of its own. */
  alreadyExited: boolean;
}

const live = new Set<ServiceProcess>();

/** SIGKILLs every process still running (afterAll / finally); also their children (start.js). */
export function killAll(): void {
  for (const proc of live) proc.kill();
}
process.once("exit", killAll);

export class ServiceProcess {
  readonly lines: Line[] = [];
  readonly child: ChildProcess;
  readonly startedAt = Date.now();
  readonly exited: Promise<Exit>;
  exit: Exit | null = null;
  /** Resolves when its stdout and stderr are closed (every line it printed is in `lines`). */
  private readonly closed: Promise<void>;

  constructor(
    readonly name: string,
    buildDir: string,
    readonly script: Script,
    env: Record<string, string>,
  ) {
    this.child = spawn(process.execPath, [join(buildDir, script)], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    live.add(this);
    this.capture("stdout");
    this.capture("stderr");
    this.exited = new Promise((resolve) => {
      this.child.on("exit", (code, signal) => {
        this.exit = { code, signal, at: Date.now() };
        live.delete(this);
        resolve(this.exit);
      });
    });
    this.closed = new Promise((resolve) => this.child.on("close", () => resolve()));
  }

  /** Waits (bounded: an orphaned child may hold the pipes open) until every printed line is captured. */
  async drained(ms = 1_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.closed, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
    clearTimeout(timer);
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.exit === null;
  }

  private capture(stream: "stdout" | "stderr"): void {
    let partial = "";
    const source = this.child[stream]!;
    source.setEncoding("utf8");
    source.on("data", (chunk: string) => {
      const parts = (partial + chunk).split("\n");
      partial = parts.pop()!;
      for (const text of parts) this.lines.push({ process: this.name, stream, at: Date.now(), text });
    });
    // A last line without a newline is still a line it printed.
    source.on("end", () => {
      if (partial !== "") this.lines.push({ process: this.name, stream, at: Date.now(), text: partial });
      partial = "";
    });
  }

  linesBetween(from: number, to = Number.POSITIVE_INFINITY): Line[] {
    return this.lines.filter((line) => line.at >= from && line.at <= to);
  }

  /** SIGTERM, then waits up to `capMs` for the exit (SIGKILL after that, and `ms: null`). */
  async sigterm(capMs: number): Promise<StopResult> {
    if (this.exit) return { ms: 0, code: this.exit.code, signal: this.exit.signal, killedAfterCap: false, alreadyExited: true };
    const descendants = this.descendants();
    const sent = Date.now();
    this.child.kill("SIGTERM");
    let timer: NodeJS.Timeout | undefined;
    const capped = new Promise<"cap">((resolve) => (timer = setTimeout(() => resolve("cap"), capMs)));
    const outcome = await Promise.race([this.exited, capped]);
    clearTimeout(timer);
    if (outcome === "cap") {
      this.kill(descendants);
      const exit = await this.exited;
      await this.drained();
      return { ms: null, code: exit.code, signal: exit.signal, killedAfterCap: true, alreadyExited: false };
    }
    await this.drained();
    return { ms: outcome.at - sent, code: outcome.code, signal: outcome.signal, killedAfterCap: false, alreadyExited: false };
  }

  /** SIGKILL (it and the given or current descendants), if still running. */
  kill(descendants = this.descendants()): void {
    for (const pid of descendants) killQuietly(pid);
    if (this.exit === null) this.child.kill("SIGKILL");
  }

  /** Pids of the processes it started, and theirs (start.js runs web and worker as children). */
  descendants(): number[] {
    return descendantsOf(this.child.pid!);
  }
}

export function killQuietly(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // already gone
  }
}

/** Running (a zombie, exited but not yet reaped by its new parent, is not). */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** Every process whose parent chain leads to `root`, read from /proc. */
export function descendantsOf(root: number): number[] {
  const parent = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // pid (comm) state ppid …; comm may contain spaces and parentheses: split after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      parent.set(Number(entry), ppid);
    } catch {
      // exited while we looked
    }
  }
  const found: number[] = [];
  const frontier = [root];
  while (frontier.length > 0) {
    const pid = frontier.pop()!;
    for (const [child, ppid] of parent) {
      if (ppid === pid && !found.includes(child)) {
        found.push(child);
        frontier.push(child);
      }
    }
  }
  return found;
}

/** Runs a process to its end (bounded): its exit, its lines and how long it took. */
export async function runToExit(name: string, buildDir: string, script: Script, env: Record<string, string>, capMs: number) {
  const proc = new ServiceProcess(name, buildDir, script, env);
  let timer: NodeJS.Timeout | undefined;
  const capped = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), capMs)));
  const exit = await Promise.race([proc.exited, capped]);
  clearTimeout(timer);
  if (exit === null) {
    proc.kill();
    await proc.exited;
  }
  await proc.drained();
  return { proc, exit, ms: exit ? exit.at - proc.startedAt : null };
}
