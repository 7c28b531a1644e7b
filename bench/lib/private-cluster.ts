import { execFile, execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";

/**
 * A private Redis Cluster for the benchmark, 3 masters + 3 replicas on loopback ports of its own: a
 * copy of test/cluster/lib/private-cluster.ts trimmed to start and stop (bench code does not import
 * from test/). The shared Redis is never touched. `teardown` is synchronous and idempotent, so an exit
 * hook can run it; it SIGKILLs the nodes (nothing in them outlives the phase) and removes their dir.
 */
const REDIS_BIN_DIRS = ["/usr/bin", "/usr/local/bin"];
const NODE_TIMEOUT_MS = 2_000;

function findBinary(name: string): string {
  for (const dir of REDIS_BIN_DIRS) if (existsSync(join(dir, name))) return join(dir, name);
  throw new Error(`private cluster: ${name} not found (looked in ${REDIS_BIN_DIRS.join(", ")})`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const listenable = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });

/** A port free together with its cluster bus port (port + 10000, which must stay ≤ 65535). */
async function freeClusterPort(taken: Set<number>): Promise<number> {
  for (let tries = 0; tries < 200; tries++) {
    const port = 20_000 + Math.floor(Math.random() * 35_000);
    if (taken.has(port) || taken.has(port + 10_000)) continue;
    if ((await listenable(port)) && (await listenable(port + 10_000))) return port;
  }
  throw new Error("private cluster: no free port pair found");
}

export interface PrivateCluster {
  ports: number[];
  /** `127.0.0.1:P1,127.0.0.1:P2,…`: the value for REDIS_CLUSTER_NODES. */
  seeds: string;
  /** Pids of the six redis-server processes (for CPU accounting). */
  pids: () => number[];
  dir: string;
  teardown: () => void;
}

export async function startPrivateCluster(): Promise<PrivateCluster> {
  const redisServer = findBinary("redis-server");
  const redisCli = findBinary("redis-cli");
  const dir = mkdtempSync("/tmp/lr-bench-cluster-");
  const taken = new Set<number>();
  const ports: number[] = [];
  for (let i = 0; i < 6; i++) {
    const port = await freeClusterPort(taken);
    taken.add(port).add(port + 10_000);
    ports.push(port);
  }
  const pids = new Map<number, number>();
  const cli = (port: number, ...command: string[]) => spawnSync(redisCli, ["-p", String(port), ...command], { encoding: "utf8", timeout: 5_000 });
  const alive = (port: number) => {
    const pid = pids.get(port);
    if (pid === undefined) return false;
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };

  const startNode = async (port: number) => {
    const pidFile = join(dir, `redis-${port}.pid`);
    execFileSync(redisServer, [
      "--port", String(port), "--bind", "127.0.0.1", "--cluster-enabled", "yes", "--cluster-config-file", `nodes-${port}.conf`,
      "--cluster-node-timeout", String(NODE_TIMEOUT_MS), "--save", "", "--appendonly", "no", "--dir", dir, "--dbfilename", `dump-${port}.rdb`,
      "--daemonize", "yes", "--pidfile", pidFile, "--logfile", join(dir, `redis-${port}.log`),
    ]);
    for (let i = 0; i < 200; i++) {
      if (cli(port, "ping").stdout?.trim() === "PONG" && existsSync(pidFile)) {
        pids.set(port, Number(readFileSync(pidFile, "utf8").trim()));
        return;
      }
      await sleep(25);
    }
    throw new Error(`private cluster node :${port} did not start (log ${join(dir, `redis-${port}.log`)})`);
  };

  /** Masters and, per master, whether a replica of it has its replication link up. */
  const roles = () => {
    const live = ports.find(alive);
    const out = live === undefined ? "" : (cli(live, "cluster", "nodes").stdout ?? "");
    const nodes = out
      .trim()
      .split("\n")
      .filter(Boolean)
      .map((line) => {
        const [id, address, flags, master] = line.split(" ") as [string, string, string, string];
        return { id, port: Number(address.split("@")[0]!.split(":")[1]), master: flags.includes("master"), masterId: master === "-" ? null : master, failed: /fail/.test(flags) };
      });
    return nodes;
  };
  const replicaSynced = (port: number) => /master_link_status:up/.test(cli(port, "info", "replication").stdout ?? "");

  let tornDown = false;
  const teardown = () => {
    if (tornDown) return;
    tornDown = true;
    for (const port of ports) {
      const pid = pids.get(port);
      if (pid !== undefined && alive(port)) process.kill(pid, "SIGKILL");
      pids.delete(port);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.once("exit", teardown);

  try {
    for (const port of ports) await startNode(port);
    await new Promise<void>((resolve, reject) =>
      execFile(redisCli, ["--cluster", "create", ...ports.map((port) => `127.0.0.1:${port}`), "--cluster-replicas", "1", "--cluster-yes"], { encoding: "utf8", timeout: 30_000 }, (error, stdout, stderr) =>
        error ? reject(new Error(`redis-cli --cluster create failed: ${stdout}\n${stderr}`)) : resolve(),
      ),
    );
    // Every node says ok, three masters serve the slots, and each master has a synced replica.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const states = ports.map((port) => /cluster_state:(\w+)/.exec(cli(port, "cluster", "info").stdout ?? "")?.[1] ?? "no answer");
      const nodes = roles();
      const masters = nodes.filter((node) => node.master && !node.failed);
      if (states.every((state) => state === "ok") && masters.length === 3 && masters.every((m) => nodes.some((node) => node.masterId === m.id && replicaSynced(node.port)))) break;
      if (Date.now() > deadline) throw new Error(`private cluster not ready within 30 s (states ${states.join(",")}; logs in ${dir})`);
      await sleep(100);
    }
  } catch (error) {
    teardown();
    throw error;
  }
  return { ports, seeds: ports.map((port) => `127.0.0.1:${port}`).join(","), pids: () => [...pids.values()], dir, teardown };
}
