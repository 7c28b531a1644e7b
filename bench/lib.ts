import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import pg from "pg";
import { Pool } from "undici";
import { connectionConfig } from "../src/db/client.js";

/** Shared plumbing for benchmarks: a throwaway database and queue prefix, real processes, cleanup. */

const DIST = fileURLToPath(new URL("..", import.meta.url));
export const ADMIN_URL = process.env.BENCH_DATABASE_ADMIN_URL ?? "postgres://127.0.0.1:5432/postgres";
export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

export interface BenchEnv {
  databaseUrl: string;
  prefix: string;
  port: number;
  env: Record<string, string>;
}

export function benchEnv(port: number, extra: Record<string, string> = {}): BenchEnv {
  const suffix = randomBytes(4).toString("hex");
  const url = new URL(ADMIN_URL);
  url.pathname = `/lr_bench_${suffix}`;
  const env = {
    DATABASE_URL: url.toString(),
    REDIS_URL,
    QUEUE_PREFIX: `lrb_${suffix}`,
    PORT: String(port),
    LOG_LEVEL: "warn",
    ...extra,
  };
  return { databaseUrl: env.DATABASE_URL, prefix: env.QUEUE_PREFIX, port, env };
}

export function startProcess(script: "src/bin/release.js" | "src/bin/web.js" | "jobs/main.js", env: Record<string, string>): ChildProcess {
  // BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the service processes.
  const nodeArgs = process.env.BENCH_NODE_ARGS?.split(" ").filter(Boolean) ?? [];
  return spawn(process.execPath, [...nodeArgs, `${DIST}/${script}`], { env: { ...process.env, ...env }, stdio: ["ignore", "inherit", "inherit"] });
}

export async function runRelease(env: Record<string, string>): Promise<void> {
  const child = startProcess("src/bin/release.js", env);
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  if (code !== 0) throw new Error(`release exited ${code}`);
}

export async function waitForHttp(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("web process did not become ready");
}

export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill("SIGTERM");
  await new Promise((resolve) => child.on("exit", resolve));
}

export async function cleanup(bench: BenchEnv): Promise<void> {
  const client = new pg.Client(connectionConfig(ADMIN_URL));
  await client.connect();
  await client.query(`DROP DATABASE IF EXISTS "${new URL(bench.databaseUrl).pathname.slice(1)}" WITH (FORCE)`);
  await client.end();
  const redis = new Redis(REDIS_URL);
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${bench.prefix}:*`, "COUNT", 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== "0");
  redis.disconnect();
}

export interface JsonResponse {
  status: number;
  body: any;
}

export function apiClient(port: number, key: string, connections = 64) {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections, pipelining: 1 });
  return {
    pool,
    async call(method: "GET" | "POST", path: string, body?: unknown, headers: Record<string, string> = {}): Promise<JsonResponse> {
      const res = await pool.request({
        method,
        path,
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.body.text();
      return { status: res.statusCode, body: text ? JSON.parse(text) : undefined };
    },
  };
}

export function percentile(sortedMs: number[], p: number): number {
  if (sortedMs.length === 0) return NaN;
  const index = Math.min(sortedMs.length - 1, Math.ceil((p / 100) * sortedMs.length) - 1);
  return sortedMs[Math.max(0, index)]!;
}

export const fmt = (ms: number) => `${ms.toFixed(1)} ms`;
