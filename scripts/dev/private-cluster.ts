import { execFile, execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";

/**
 * A private Redis Cluster, 3 masters + 3 replicas on loopback ports of its own, for the cluster tests,
 * the chaos run's cluster profile and the benchmark's cluster phase; the tests may break it at will (kill -9 a master or a replica, restart nodes, restart the whole cluster empty).
 * The shared Redis is never touched. Every wait has a deadline; controls return once the state they
 * name holds. `teardown` is synchronous so an exit hook can run it.
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

export interface ClusterNode {
  id: string;
  port: number;
  role: "master" | "replica";
  /** For a replica, the id of its master. */
  masterId: string | null;
  failed: boolean;
  /** Slot ranges it serves (masters). */
  slots: [number, number][];
}

export interface PrivateCluster {
  ports: number[];
  /** `127.0.0.1:P1,127.0.0.1:P2,…`: the value for REDIS_CLUSTER_NODES. */
  seeds: string;
  /** Pids of the redis-server processes running now (for CPU accounting). */
  pids: () => number[];
  dir: string;
  /** The cluster's view from a live node (failed nodes included, flagged). */
  topology: () => ClusterNode[];
  /** The master currently serving the slot of `key`. */
  masterOf: (key: string) => ClusterNode;
  isAlive: (port: number) => boolean;
  /** SIGKILL, no goodbye: the cluster notices after cluster-node-timeout. */
  kill: (port: number) => void;
  /** Starts a killed node again with its nodes.conf (it rejoins; a former master comes back as a replica). */
  restart: (port: number) => Promise<void>;
  /** Waits until every live node reports cluster_state:ok and agrees on a master for every slot. */
  waitOk: (timeoutMs?: number) => Promise<void>;
  /** Waits until a replica of the killed master `id` is a master; returns its port. */
  waitPromotion: (killedId: string, timeoutMs?: number) => Promise<number>;
  /** Every node killed, data and nodes.conf removed, the cluster created anew on the same ports. */
  restartEmpty: () => Promise<void>;
  teardown: () => void;
}

export async function startPrivateCluster(): Promise<PrivateCluster> {
  const redisServer = findBinary("redis-server");
  const redisCli = findBinary("redis-cli");
  const dir = mkdtempSync("/tmp/lr-cluster-");
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
    rmSync(pidFile, { force: true });
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
    throw new Error(`cluster node :${port} did not start (log ${join(dir, `redis-${port}.log`)})`);
  };

  const topology = (): ClusterNode[] => {
    for (const port of ports.filter(alive)) {
      const out = cli(port, "cluster", "nodes").stdout ?? "";
      if (!out.trim()) continue;
      return out
        .trim()
        .split("\n")
        .map((line) => {
          const [id, address, flags, master, , , , , ...ranges] = line.split(" ") as [string, string, string, string, ...string[]];
          return {
            id,
            port: Number(address.split("@")[0]!.split(":")[1]),
            role: flags.includes("master") ? ("master" as const) : ("replica" as const),
            masterId: master === "-" ? null : master,
            failed: /fail/.test(flags),
            slots: ranges.filter((range) => /^\d+(-\d+)?$/.test(range)).map((range) => range.split("-").map(Number)).map(([from, to]) => [from!, to ?? from!] as [number, number]),
          };
        });
    }
    throw new Error("cluster tests: no live node answers CLUSTER NODES");
  };

  const waitOk = async (timeoutMs = 20_000) => {
    const deadline = Date.now() + timeoutMs;
    let last = "";
    while (Date.now() < deadline) {
      const live = ports.filter(alive);
      const states = live.map((port) => /cluster_state:(\w+)/.exec(cli(port, "cluster", "info").stdout ?? "")?.[1] ?? "no answer");
      // Every live node says ok, and three live masters serve the slots (no dead one still listed).
      const masters = live.length > 0 ? topology().filter((node) => node.role === "master" && !node.failed && alive(node.port)) : [];
      if (live.length > 0 && states.every((state) => state === "ok") && masters.length === 3) return;
      last = states.join(",");
      await sleep(100);
    }
    throw new Error(`cluster not ok within ${timeoutMs} ms (states ${last}; logs in ${dir})`);
  };

  const create = async () => {
    for (const port of ports) await startNode(port);
    // Asynchronously: the create takes seconds, and the test's own clients must keep running meanwhile.
    await new Promise<void>((resolve, reject) =>
      execFile(redisCli, ["--cluster", "create", ...ports.map((port) => `127.0.0.1:${port}`), "--cluster-replicas", "1", "--cluster-yes"], { encoding: "utf8", timeout: 30_000 }, (error, stdout, stderr) =>
        error ? reject(new Error(`redis-cli --cluster create failed: ${stdout}\n${stderr}`)) : resolve(),
      ),
    );
    await waitOk();
    // Replicas attach asynchronously after create: a failover test needs every master to have one.
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const nodes = topology();
      const masters = nodes.filter((node) => node.role === "master");
      if (masters.length === 3 && masters.every((master) => nodes.some((node) => node.masterId === master.id && replicaSynced(node.port)))) return;
      await sleep(100);
    }
    throw new Error(`cluster replicas did not attach within 20 s (logs in ${dir})`);
  };
  const replicaSynced = (port: number) => /master_link_status:up/.test(cli(port, "info", "replication").stdout ?? "");

  const killNode = (port: number) => {
    const pid = pids.get(port);
    if (pid !== undefined && alive(port)) process.kill(pid, "SIGKILL");
    pids.delete(port);
  };

  const cluster: PrivateCluster = {
    ports,
    seeds: ports.map((port) => `127.0.0.1:${port}`).join(","),
    pids: () => [...pids.values()],
    dir,
    topology,
    masterOf: (key) => {
      const live = ports.find(alive)!;
      const slot = Number(cli(live, "cluster", "keyslot", key).stdout.trim());
      const owner = topology().find((node) => node.role === "master" && !node.failed && node.slots.some(([from, to]) => slot >= from && slot <= to));
      if (!owner) throw new Error(`no master found for slot ${slot}`);
      return owner;
    },
    isAlive: alive,
    kill: killNode,
    restart: (port) => startNode(port),
    waitOk,
    waitPromotion: async (killedId, timeoutMs = 20_000) => {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const nodes = topology();
        const promoted = nodes.find((node) => node.role === "master" && !node.failed && alive(node.port) && replicaOf.get(node.port) === killedId);
        if (promoted) return promoted.port;
        await sleep(50);
      }
      throw new Error(`no replica of ${killedId} promoted within ${timeoutMs} ms (logs in ${dir})`);
    },
    restartEmpty: async () => {
      for (const port of ports) killNode(port);
      for (const port of ports) {
        rmSync(join(dir, `nodes-${port}.conf`), { force: true });
        rmSync(join(dir, `dump-${port}.rdb`), { force: true });
      }
      await create();
    },
    teardown: () => {
      for (const port of ports) killNode(port);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  // Which master each replica served before a kill, to name the one promoted in its place.
  const replicaOf = new Map<number, string>();
  const rememberReplicas = () => {
    for (const node of topology()) if (node.role === "replica" && node.masterId) replicaOf.set(node.port, node.masterId);
  };
  process.once("exit", cluster.teardown);
  try {
    await create();
    rememberReplicas();
  } catch (error) {
    cluster.teardown();
    throw error;
  }
  // Each kill is preceded by a fresh look at who replicates whom.
  const kill = cluster.kill;
  cluster.kill = (port) => {
    rememberReplicas();
    kill(port);
  };
  const restartEmpty = cluster.restartEmpty;
  cluster.restartEmpty = async () => {
    await restartEmpty();
    rememberReplicas();
  };
  return cluster;
}
