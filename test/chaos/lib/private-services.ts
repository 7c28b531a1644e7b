import { execFileSync, spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { userInfo } from "node:os";
import { join } from "node:path";

/**
 * A private Postgres cluster and a private Redis, on loopback and on ports of their own, that the chaos
 * suite may break at will: the shared instances other engineers' runs use are never touched. Missing
 * binaries fail loudly (a skipped chaos suite would prove nothing).
 */

const PG_BIN_DIRS = [process.env.CHAOS_PG_BIN, "/usr/lib/postgresql/15/bin", "/usr/local/bin", "/usr/bin"].filter(Boolean) as string[];

function findBinary(name: string, dirs: string[]): string {
  for (const dir of dirs) if (existsSync(join(dir, name))) return join(dir, name);
  throw new Error(`chaos: ${name} not found (looked in ${dirs.join(", ")}); install it or set CHAOS_PG_BIN`);
}

export const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });

export interface PrivateServices {
  dir: string;
  databaseUrl: string;
  redisUrl: string;
  /** Postgres down `downMs` (immediate stop: no checkpoint, like a crash), then up again. */
  crashPostgres: (downMs: number) => Promise<void>;
  /** Redis shut down without saving and started empty: every queue, job and lock is gone. */
  loseRedis: (downMs: number) => Promise<void>;
  /** Stops both and removes their files. Idempotent, synchronous (so it can run from an exit hook). */
  teardown: () => void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startPrivateServices(): Promise<PrivateServices> {
  const initdb = findBinary("initdb", PG_BIN_DIRS);
  const pgCtl = findBinary("pg_ctl", PG_BIN_DIRS);
  const redisServer = findBinary("redis-server", ["/usr/bin", "/usr/local/bin"]);
  const redisCli = findBinary("redis-cli", ["/usr/bin", "/usr/local/bin"]);

  const dir = mkdtempSync("/tmp/lr-chaos-");
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

  const pgPort = await freePort();
  const redisPort = await freePort();
  let torn = false;
  const teardown = () => {
    if (torn) return;
    torn = true;
    spawnSync(redisCli, ["-p", String(redisPort), "shutdown", "nosave"], { timeout: 10_000 });
    if (existsSync(join(pgData, "postmaster.pid"))) {
      const args = ["-D", pgData, "stop", "-m", "immediate", "-w"];
      spawnSync(asRoot ? "runuser" : pgCtl, asRoot ? ["-u", "postgres", "--", pgCtl, ...args] : args, { timeout: 30_000 });
    }
    rmSync(dir, { recursive: true, force: true });
  };
  // A crash of the runner itself must not leave servers behind.
  process.once("exit", teardown);

  try {
    pgRun(initdb, ["-D", pgData, "-A", "trust", "-U", pgOwner, "--no-sync", "-E", "UTF8"]);
    // fsync=off only risks data on an OS crash, which we never cause. synchronous_commit must stay on:
    // with it off an immediate stop loses acknowledged commits, which the first long run showed as
    // "accepted webhook not stored" — a flaw of the test cluster, not of the service.
    const pgOptions = `-p ${pgPort} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${dir} -c fsync=off -c max_connections=200`;
    const startPg = () => pgRun(pgCtl, ["-D", pgData, "-l", join(dir, "pg.log"), "-w", "-t", "60", "-o", pgOptions, "start"]);
    startPg();

    const redisArgs = ["--port", String(redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "yes", "--dir", dir, "--logfile", join(dir, "redis.log"), "--pidfile", join(dir, "redis.pid")];
    const startRedis = async () => {
      execFileSync(redisServer, redisArgs);
      for (let i = 0; i < 100; i++) {
        if (spawnSync(redisCli, ["-p", String(redisPort), "ping"], { encoding: "utf8" }).stdout.trim() === "PONG") return;
        await sleep(50);
      }
      throw new Error("chaos: private redis did not start");
    };
    await startRedis();

    return {
      dir,
      databaseUrl: `postgres://${pgOwner}@127.0.0.1:${pgPort}/loyalty_chaos`,
      redisUrl: `redis://127.0.0.1:${redisPort}`,
      crashPostgres: async (downMs) => {
        pgRun(pgCtl, ["-D", pgData, "stop", "-m", "immediate", "-w"]);
        await sleep(downMs);
        startPg();
      },
      loseRedis: async (downMs) => {
        spawnSync(redisCli, ["-p", String(redisPort), "shutdown", "nosave"], { timeout: 10_000 });
        for (let i = 0; i < 100 && spawnSync(redisCli, ["-p", String(redisPort), "ping"]).status === 0; i++) await sleep(50);
        await sleep(downMs);
        await startRedis();
      },
      teardown,
    };
  } catch (error) {
    teardown();
    throw error;
  }
}
