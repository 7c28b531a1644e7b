import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { userInfo } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { freePort } from "./free-port.js";

/**
 * A private PgBouncer (Debian's package, installed by scripts/ensure-pgbouncer.sh) in transaction
 * pooling mode on a free loopback port, in front of a Postgres (by default the shared one on
 * 127.0.0.1:5432, which it only connects to). Any database name is passed through (`*`), with trust
 * auth for the users in its auth_file. Its config and log live in a temp dir owned by `postgres`:
 * PgBouncer refuses to run as root, so as root it runs with `-u postgres`. `stop()` / `start()` are
 * an immediate shutdown (SIGTERM: every client and server connection cut) and a start on the same port.
 */
export interface PrivatePgBouncer {
  port: number;
  dir: string;
  /** `url` with its host and port replaced by this PgBouncer's. */
  urlFor: (postgresUrl: string) => string;
  readonly running: boolean;
  /** The running process's pid (for CPU accounting), if it runs. */
  pid: () => number | undefined;
  start: () => Promise<void>;
  stop: () => Promise<void>;
  log: () => string;
  /** A command on the admin console (`SHOW POOLS`, …): its rows. */
  admin: (command: string) => Promise<Record<string, unknown>[]>;
  teardown: () => void;
}

const BINARIES = ["/usr/sbin/pgbouncer", "/usr/bin/pgbouncer", "/usr/local/bin/pgbouncer"];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface PgBouncerOptions {
  /** Server connections per database and user (PgBouncer's default_pool_size). */
  poolSize?: number;
  postgresHost?: string;
  postgresPort?: number;
}

export async function startPrivatePgBouncer(options: PgBouncerOptions = {}): Promise<PrivatePgBouncer> {
  const binary = BINARIES.find((path) => existsSync(path));
  if (!binary) throw new Error("pgbouncer not found; run scripts/ensure-pgbouncer.sh (npm test's pretest does)");
  const dir = mkdtempSync("/tmp/lr-pgbouncer-");
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
      // SHOW POOLS / SHOW SERVERS on the admin console (database "pgbouncer"), for the tests' figures.
      `admin_users = ${users[0]}`,
      `default_pool_size = ${options.poolSize ?? 10}`,
      "max_client_conn = 1000",
      `logfile = ${join(dir, "pgbouncer.log")}`,
      `pidfile = ${join(dir, "pgbouncer.pid")}`,
      // A client waiting for a server connection longer than this gets an error, not an endless wait.
      "query_wait_timeout = 30",
      "",
    ].join("\n"),
  );
  if (asRoot) {
    const uid = Number(execFileSync("id", ["-u", "postgres"]).toString().trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"]).toString().trim());
    for (const file of ["", "users.txt", "pgbouncer.ini"]) chownSync(join(dir, file), uid, gid);
  }

  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();
  const bouncer: PrivatePgBouncer = {
    port,
    dir,
    urlFor: (postgresUrl) => {
      const url = new URL(postgresUrl);
      url.hostname = "127.0.0.1";
      url.port = String(port);
      return url.toString();
    },
    get running() {
      return child !== null && child.exitCode === null && child.signalCode === null;
    },
    pid: () => (bouncer.running ? child!.pid : undefined),
    start: async () => {
      if (bouncer.running) throw new Error(`private pgbouncer :${port} is already running`);
      const proc = spawn(binary, asRoot ? ["-u", "postgres", ini] : [ini], { stdio: ["ignore", "ignore", "pipe"] });
      let stderr = "";
      proc.stderr!.on("data", (chunk) => (stderr += chunk));
      exited = new Promise((resolve) => proc.once("exit", () => resolve()));
      child = proc;
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        if (!bouncer.running) throw new Error(`pgbouncer exited at start: ${stderr}\n${bouncer.log()}`);
        if (await accepts(port)) return;
        await sleep(25);
      }
      throw new Error(`pgbouncer did not listen on :${port} within 10 s:\n${bouncer.log()}`);
    },
    stop: async () => {
      if (!bouncer.running) return;
      child!.kill("SIGTERM");
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, 5_000)))]);
      clearTimeout(timer);
      if (bouncer.running) child!.kill("SIGKILL");
      await exited;
    },
    log: () => {
      try {
        return readFileSync(join(dir, "pgbouncer.log"), "utf8");
      } catch {
        return "(no log)";
      }
    },
    admin: async (command) => {
      // The console speaks only the simple query protocol: no parameters.
      const client = new pg.Client({ host: "127.0.0.1", port, database: "pgbouncer", user: users[0], connectionTimeoutMillis: 5_000 });
      client.on("error", () => {});
      await client.connect();
      try {
        return (await client.query(command)).rows;
      } finally {
        await client.end();
      }
    },
    teardown: () => {
      if (bouncer.running) child!.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    },
  };
  // A crash of the test process itself must not leave it behind.
  process.once("exit", () => bouncer.teardown());
  await bouncer.start();
  return bouncer;
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
