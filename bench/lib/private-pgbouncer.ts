import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { userInfo } from "node:os";
import { join } from "node:path";
import { freePort } from "../lib.js";

/**
 * A private PgBouncer for the benchmark (Debian's package; scripts/ensure-pgbouncer.sh installs it) in
 * transaction pooling mode on a free loopback port, in front of the shared Postgres on 127.0.0.1:5432,
 * which it only connects to. A copy of test/helpers/pgbouncer.ts trimmed to start and stop (bench code
 * does not import from test/). Any database name is passed through (`*`), trust auth. As root it runs
 * with `-u postgres` (PgBouncer refuses to run as root); its config and log live in a temp dir.
 */
export interface PrivatePgBouncer {
  port: number;
  /** `url` with its host and port replaced by this PgBouncer's. */
  urlFor: (postgresUrl: string) => string;
  pid: () => number | undefined;
  stop: () => Promise<void>;
  /** Synchronous and idempotent: SIGKILL if still running, temp dir removed. */
  teardown: () => void;
}

const BINARIES = ["/usr/sbin/pgbouncer", "/usr/bin/pgbouncer", "/usr/local/bin/pgbouncer"];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startPrivatePgBouncer(options: { poolSize: number; postgresHost?: string; postgresPort?: number }): Promise<PrivatePgBouncer> {
  const binary = BINARIES.find((path) => existsSync(path));
  if (!binary) throw new Error("pgbouncer not found; run scripts/ensure-pgbouncer.sh (apt-get install pgbouncer)");
  const dir = mkdtempSync("/tmp/lr-bench-pgbouncer-");
  const port = await freePort();
  const asRoot = process.getuid?.() === 0;
  const users = [...new Set([process.env.PGUSER || process.env.USER || userInfo().username, "postgres", "root"])];
  writeFileSync(join(dir, "users.txt"), users.map((user) => `"${user}" ""\n`).join(""));
  const ini = join(dir, "pgbouncer.ini");
  writeFileSync(
    ini,
    [
      "[databases]",
      `* = host=${options.postgresHost ?? "127.0.0.1"} port=${options.postgresPort ?? 5432}`,
      "[pgbouncer]",
      "listen_addr = 127.0.0.1",
      `listen_port = ${port}`,
      "unix_socket_dir =",
      "auth_type = trust",
      `auth_file = ${join(dir, "users.txt")}`,
      "pool_mode = transaction",
      `default_pool_size = ${options.poolSize}`,
      "max_client_conn = 1000",
      `logfile = ${join(dir, "pgbouncer.log")}`,
      `pidfile = ${join(dir, "pgbouncer.pid")}`,
      "query_wait_timeout = 30",
      "",
    ].join("\n"),
  );
  if (asRoot) {
    const uid = Number(execFileSync("id", ["-u", "postgres"]).toString().trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"]).toString().trim());
    for (const file of ["", "users.txt", "pgbouncer.ini"]) chownSync(join(dir, file), uid, gid);
  }
  const log = () => {
    try {
      return readFileSync(join(dir, "pgbouncer.log"), "utf8");
    } catch {
      return "(no log)";
    }
  };

  const child: ChildProcess = spawn(binary, asRoot ? ["-u", "postgres", ini] : [ini], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (chunk) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const running = () => child.exitCode === null && child.signalCode === null;
  let tornDown = false;
  const teardown = () => {
    if (tornDown) return;
    tornDown = true;
    if (running()) child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  };
  process.once("exit", teardown);
  const bouncer: PrivatePgBouncer = {
    port,
    urlFor: (postgresUrl) => {
      const url = new URL(postgresUrl);
      url.hostname = "127.0.0.1";
      url.port = String(port);
      return url.toString();
    },
    pid: () => (running() ? child.pid : undefined),
    stop: async () => {
      if (running()) {
        child.kill("SIGTERM");
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, 5_000)))]);
        clearTimeout(timer);
      }
      teardown();
    },
    teardown,
  };
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (!running()) {
      const message = `pgbouncer exited at start: ${stderr}\n${log()}`;
      teardown();
      throw new Error(message);
    }
    if (await accepts(port)) return bouncer;
    if (Date.now() > deadline) {
      const message = `pgbouncer did not listen on :${port} within 10 s:\n${log()}`;
      teardown();
      throw new Error(message);
    }
    await sleep(25);
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}
