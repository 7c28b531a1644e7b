import { execFileSync, spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { freePort } from "../../../scripts/dev/free-port.js";
import { userInfo } from "node:os";
import { join } from "node:path";

/**
 * A private Postgres cluster and a private Redis, on loopback and on ports of their own, that the chaos
 * and outage suites may break at will: the shared instances other engineers' runs use are never touched.
 * Missing binaries fail loudly (a skipped fault suite would prove nothing).
 *
 * Controls, each synchronous with the state it names (when it returns, the state holds):
 * - Redis: `stopRedis` (gone; with `keepData` its dataset is saved and reloaded by `startRedis`, like a
 *   restart of a persistent Redis; otherwise it comes back empty), `startRedis`, `pauseRedis` (SIGSTOP:
 *   the kernel still accepts connections, nothing answers), `resumeRedis` (SIGCONT).
 * - Postgres: `stopPostgres` (`pg_ctl stop -m immediate`: connections reset, new ones refused),
 *   `startPostgres`.
 */

const PG_BIN_DIRS = [process.env.CHAOS_PG_BIN, "/usr/lib/postgresql/15/bin", "/usr/local/bin", "/usr/bin"].filter(Boolean) as string[];
const REDIS_BIN_DIRS = ["/usr/bin", "/usr/local/bin"];

function findBinary(name: string, dirs: string[]): string {
  for (const dir of dirs) if (existsSync(join(dir, name))) return join(dir, name);
  throw new Error(`chaos: ${name} not found (looked in ${dirs.join(", ")}); install it or set CHAOS_PG_BIN`);
}

export { freePort };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface PrivateRedis {
  port: number;
  url: string;
  /** Is a redis-server process of ours alive (running or paused)? */
  readonly running: boolean;
  readonly paused: boolean;
  start: () => Promise<void>;
  stop: (options?: { keepData?: boolean }) => Promise<void>;
  pause: () => void;
  resume: () => void;
  teardown: () => void;
}

/**
 * A redis-server on a free loopback port in `dir`. With `running: false` nothing listens on the port
 * until `start()` ("Redis absent from the start").
 */
export async function startPrivateRedis(dir: string, options: { running?: boolean } = {}): Promise<PrivateRedis> {
  const redisServer = findBinary("redis-server", REDIS_BIN_DIRS);
  const redisCli = findBinary("redis-cli", REDIS_BIN_DIRS);
  const port = await freePort();
  const pidFile = join(dir, `redis-${port}.pid`);
  const dumpFile = `redis-${port}.rdb`;
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "yes", "--dir", dir, "--dbfilename", dumpFile, "--logfile", join(dir, `redis-${port}.log`), "--pidfile", pidFile];
  let pid: number | null = null;
  let paused = false;
  const cli = (...command: string[]) => spawnSync(redisCli, ["-p", String(port), ...command], { encoding: "utf8", timeout: 5_000 });
  const alive = () => {
    if (pid === null) return false;
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };

  const redis: PrivateRedis = {
    port,
    url: `redis://127.0.0.1:${port}`,
    get running() {
      return alive();
    },
    get paused() {
      return paused && alive();
    },
    start: async () => {
      if (alive()) throw new Error(`private redis :${port} is already running`);
      execFileSync(redisServer, args);
      for (let i = 0; i < 200; i++) {
        if (cli("ping").stdout?.trim() === "PONG") {
          pid = Number(readFileSync(pidFile, "utf8").trim());
          paused = false;
          return;
        }
        await sleep(25);
      }
      throw new Error(`private redis did not start on :${port} (log: ${join(dir, `redis-${port}.log`)})`);
    },
    stop: async ({ keepData = false } = {}) => {
      if (!alive()) return;
      if (paused) redis.resume();
      if (!keepData) rmSync(join(dir, dumpFile), { force: true });
      cli("shutdown", keepData ? "save" : "nosave");
      for (let i = 0; i < 200 && alive(); i++) await sleep(25);
      if (alive()) process.kill(pid!, "SIGKILL");
      for (let i = 0; i < 200 && alive(); i++) await sleep(25);
      if (!keepData) rmSync(join(dir, dumpFile), { force: true });
    },
    pause: () => {
      if (!alive()) throw new Error(`private redis :${port} is not running: cannot pause it`);
      process.kill(pid!, "SIGSTOP");
      paused = true;
    },
    resume: () => {
      if (pid !== null && alive()) process.kill(pid, "SIGCONT");
      paused = false;
    },
    teardown: () => {
      // SIGKILL works on a stopped (SIGSTOPped) process too, and needs no answer from it.
      if (pid !== null && alive()) process.kill(pid, "SIGKILL");
      pid = null;
    },
  };
  if (options.running !== false) await redis.start();
  return redis;
}

export interface PrivatePostgres {
  port: number;
  /** A database URL on this cluster (the database itself is created by `release`). */
  databaseUrl: (database: string) => string;
  readonly running: boolean;
  start: () => void;
  /** Immediate stop, no checkpoint (like a crash): connections reset, new ones refused. */
  stop: () => void;
  teardown: () => void;
}

export async function startPrivatePostgres(dir: string): Promise<PrivatePostgres> {
  const initdb = findBinary("initdb", PG_BIN_DIRS);
  const pgCtl = findBinary("pg_ctl", PG_BIN_DIRS);
  const pgData = join(dir, "pg");
  // Postgres refuses to run as root: as root, run its tools as the `postgres` OS user.
  const asRoot = process.getuid?.() === 0;
  const pgOwner = asRoot ? "postgres" : userInfo().username;
  if (asRoot) {
    const uid = Number(execFileSync("id", ["-u", "postgres"]).toString().trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"]).toString().trim());
    chownSync(dir, uid, gid);
  }
  const pgRun = (binary: string, args: string[]) => {
    const [command, argv] = asRoot ? ["runuser", ["-u", "postgres", "--", binary, ...args]] : [binary, args];
    const result = spawnSync(command, argv, { encoding: "utf8", timeout: 60_000 });
    if (result.status !== 0) throw new Error(`chaos: ${binary} ${args.join(" ")} failed: ${result.stderr || result.stdout || result.error}`);
  };
  const port = await freePort();
  const running = () => existsSync(join(pgData, "postmaster.pid"));

  pgRun(initdb, ["-D", pgData, "-A", "trust", "-U", pgOwner, "--no-sync", "-E", "UTF8"]);
  // fsync=off only risks data on an OS crash, which we never cause. synchronous_commit must stay on:
  // with it off an immediate stop loses acknowledged commits, which the first long run showed as
  // "accepted webhook not stored" — a flaw of the test cluster, not of the service.
  const pgOptions = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${dir} -c fsync=off -c max_connections=200`;
  const start = () => pgRun(pgCtl, ["-D", pgData, "-l", join(dir, "pg.log"), "-w", "-t", "60", "-o", pgOptions, "start"]);
  const stop = () => {
    if (running()) pgRun(pgCtl, ["-D", pgData, "stop", "-m", "immediate", "-w"]);
  };
  start();
  return {
    port,
    databaseUrl: (database) => `postgres://${pgOwner}@127.0.0.1:${port}/${database}`,
    get running() {
      return running();
    },
    start,
    stop,
    teardown: () => {
      if (!running()) return;
      const args = ["-D", pgData, "stop", "-m", "immediate", "-w"];
      spawnSync(asRoot ? "runuser" : pgCtl, asRoot ? ["-u", "postgres", "--", pgCtl, ...args] : args, { timeout: 30_000 });
    },
  };
}

export interface PrivateServices {
  dir: string;
  databaseUrl: string;
  redisUrl: string;
  redis: PrivateRedis;
  postgres: PrivatePostgres;
  /** Postgres down `downMs` (immediate stop: no checkpoint, like a crash), then up again. */
  crashPostgres: (downMs: number) => Promise<void>;
  /** Redis shut down without saving and started empty: every queue, job and lock is gone. */
  loseRedis: (downMs: number) => Promise<void>;
  stopRedis: (options?: { keepData?: boolean }) => Promise<void>;
  startRedis: () => Promise<void>;
  pauseRedis: () => void;
  resumeRedis: () => void;
  stopPostgres: () => void;
  startPostgres: () => void;
  /** Stops both and removes their files. Idempotent, synchronous (so it can run from an exit hook). */
  teardown: () => void;
}

/**
 * Both servers in one temp dir. `redis: "absent"` reserves Redis's port but starts nothing on it (call
 * `startRedis()` later).
 */
export async function startPrivateServices(options: { redis?: "running" | "absent"; database?: string } = {}): Promise<PrivateServices> {
  const dir = mkdtempSync("/tmp/lr-chaos-");
  let redis: PrivateRedis | null = null;
  let postgres: PrivatePostgres | null = null;
  let torn = false;
  const teardown = () => {
    if (torn) return;
    torn = true;
    redis?.teardown();
    postgres?.teardown();
    rmSync(dir, { recursive: true, force: true });
  };
  // A crash of the runner itself must not leave servers behind.
  process.once("exit", teardown);
  try {
    postgres = await startPrivatePostgres(dir);
    redis = await startPrivateRedis(dir, { running: options.redis !== "absent" });
    const pg = postgres;
    const rd = redis;
    return {
      dir,
      databaseUrl: pg.databaseUrl(options.database ?? "loyalty_chaos"),
      redisUrl: rd.url,
      redis: rd,
      postgres: pg,
      crashPostgres: async (downMs) => {
        pg.stop();
        await sleep(downMs);
        pg.start();
      },
      loseRedis: async (downMs) => {
        await rd.stop({ keepData: false });
        await sleep(downMs);
        await rd.start();
      },
      stopRedis: (opts) => rd.stop(opts),
      startRedis: () => rd.start(),
      pauseRedis: () => rd.pause(),
      resumeRedis: () => rd.resume(),
      stopPostgres: () => pg.stop(),
      startPostgres: () => pg.start(),
      teardown,
    };
  } catch (error) {
    teardown();
    throw error;
  }
}
