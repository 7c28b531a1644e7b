import { randomUUID } from "node:crypto";
import { createServer, connect, type Server } from "node:net";
import { createDb } from "../src/db/client.js";
import { createMerchant } from "../src/domain/merchants/merchants.js";
import { apiClient, benchEnv, cleanup, cpuSeconds, REDIS_URL, runRelease, startProcess, stopProcess, waitForHttp } from "./lib.js";

/**
 * Round trips per redemption, counted on the wire: each process talks to Postgres and Redis through a
 * counting TCP proxy of its own, so the figures are exact whatever else the machine is doing (CPU
 * figures on a shared 2-core machine are not).
 *
 *   npm run bench:round-trips          REDEMPTIONS=400 CLIENTS=1,32 COMMANDS=1 (Redis commands and Postgres statements by name)
 *
 * Postgres: a round trip is a Sync ('S') or a simple Query ('Q') message — the points where the client
 * waits for the server; statements are Execute ('E') plus simple Query messages. Redis: commands are
 * the RESP arrays the client sends; round trips are the client's writes (a pipeline is one write).
 * Counted over a measured window after a warm-up, divided by the redemptions answered 201 in it.
 */
const REDEMPTIONS = Number(process.env.REDEMPTIONS ?? 400);
const CLIENT_COUNTS = (process.env.CLIENTS ?? "1,32").split(",").map(Number);
const ACCOUNTS = 256;

interface Counts {
  pgRoundTrips: number;
  pgStatements: number;
  redisCommands: number;
  redisWrites: number;
  /** Redis commands by name. */
  redisByName: Record<string, number>;
  /** Postgres statements executed, by the first words of their SQL (named statements resolved from their Parse). */
  pgByStatement: Record<string, number>;
}
const zero = (): Counts => ({ pgRoundTrips: 0, pgStatements: 0, redisCommands: 0, redisWrites: 0, redisByName: {}, pgByStatement: {} });

/** Walks Postgres frontend messages (after the untyped startup message) and counts the waits. */
function pgCounter(counts: Counts) {
  let buffer = Buffer.alloc(0);
  let started = false;
  // Statement name → its SQL (from Parse), and the SQL of the statement the next Execute runs (from Bind).
  const named = new Map<string, string>();
  let bound = "";
  const cString = (at: number) => {
    const end = buffer.indexOf(0, at);
    return { text: buffer.toString("utf8", at, end), next: end + 1 };
  };
  const label = (sqlText: string) => sqlText.replace(/\s+/g, " ").trim().slice(0, 70);
  return (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    for (;;) {
      if (!started) {
        if (buffer.length < 8) return;
        const length = buffer.readInt32BE(0);
        const code = buffer.readInt32BE(4);
        if (buffer.length < length) return;
        buffer = buffer.subarray(length);
        // SSLRequest / GSSENCRequest are answered with one byte, then the real startup follows.
        if (code !== 80877103 && code !== 80877104) started = true;
        continue;
      }
      if (buffer.length < 5) return;
      const length = buffer.readInt32BE(1);
      if (buffer.length < 1 + length) return;
      const type = String.fromCharCode(buffer[0]!);
      if (type === "S" || type === "Q") counts.pgRoundTrips++;
      if (type === "E" || type === "Q") counts.pgStatements++;
      if (type === "P") {
        const name = cString(5);
        const query = cString(name.next);
        if (name.text) named.set(name.text, query.text);
        bound = query.text;
      }
      if (type === "B") {
        const statement = cString(cString(5).next).text;
        if (statement) bound = named.get(statement) ?? statement;
      }
      const executed = type === "Q" ? cString(5).text : type === "E" ? bound : undefined;
      if (executed !== undefined) counts.pgByStatement[label(executed)] = (counts.pgByStatement[label(executed)] ?? 0) + 1;
      buffer = buffer.subarray(1 + length);
    }
  };
}

/** Counts top-level RESP arrays (commands) in what a Redis client sends. */
function redisCounter(counts: Counts) {
  let buffer = Buffer.alloc(0);
  return (chunk: Buffer) => {
    counts.redisWrites++;
    buffer = Buffer.concat([buffer, chunk]);
    let at = 0;
    for (;;) {
      const end = skipValue(buffer, at);
      if (end < 0) break;
      counts.redisCommands++;
      const name = commandName(buffer, at);
      counts.redisByName[name] = (counts.redisByName[name] ?? 0) + 1;
      at = end;
    }
    buffer = buffer.subarray(at);
  };
}

/** The first word of a command (a RESP array of bulk strings) starting at `at`, upper-cased. */
function commandName(buffer: Buffer, at: number): string {
  const header = buffer.indexOf("\r\n", at);
  const lengthEnd = buffer.indexOf("\r\n", header + 2);
  const length = Number(buffer.toString("latin1", header + 3, lengthEnd));
  return buffer.toString("latin1", lengthEnd + 2, lengthEnd + 2 + length).toUpperCase();
}

/** The offset after one RESP value starting at `at`, or -1 if it is not complete yet. */
function skipValue(buffer: Buffer, at: number): number {
  const lineEnd = buffer.indexOf("\r\n", at);
  if (lineEnd < 0) return -1;
  const type = String.fromCharCode(buffer[at]!);
  const n = Number(buffer.toString("latin1", at + 1, lineEnd));
  let next = lineEnd + 2;
  if (type === "*") {
    for (let i = 0; i < n; i++) {
      next = skipValue(buffer, next);
      if (next < 0) return -1;
    }
    return next;
  }
  if (type === "$") return n < 0 ? next : buffer.length >= next + n + 2 ? next + n + 2 : -1;
  return next;
}

/** A TCP proxy to `target` that feeds what each client sends to a parser of that connection's own. */
async function proxy(target: URL, defaultPort: number, parser: () => (chunk: Buffer) => void): Promise<string> {
  const server = createServer((client) => {
    const upstream = connect(Number(target.port || defaultPort), target.hostname);
    const parse = parser();
    client.on("data", (chunk) => {
      parse(chunk);
      upstream.write(chunk);
    });
    upstream.on("data", (chunk) => client.write(chunk));
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  servers.push(server);
  const url = new URL(target);
  url.hostname = "127.0.0.1";
  url.port = String((server.address() as { port: number }).port);
  return url.toString();
}
const servers: Server[] = [];

/** A proxy pair (Postgres, Redis) for one process, with counters that can be read and reset. */
async function countingProxies(databaseUrl: string, redisUrl: string) {
  const counts = zero();
  return {
    counts,
    databaseUrl: await proxy(new URL(databaseUrl), 5432, () => pgCounter(counts)),
    redisUrl: await proxy(new URL(redisUrl), 6379, () => redisCounter(counts)),
    reset: () => Object.assign(counts, zero()),
  };
}

const bench = benchEnv(Number(process.env.PORT ?? 3931), { WORKER_CONCURRENCY: process.env.WORKER_CONCURRENCY ?? "32" });
await runRelease(bench.env);
const db = createDb(bench.databaseUrl, 2);
const merchant = await createMerchant(db, "bench");
await db.destroy();

const webProxies = await countingProxies(bench.databaseUrl, REDIS_URL);
const workerProxies = await countingProxies(bench.databaseUrl, REDIS_URL);
const web = startProcess("src/bin/web.js", { ...bench.env, DATABASE_URL: webProxies.databaseUrl, REDIS_URL: webProxies.redisUrl });
const worker = startProcess("jobs/main.js", { ...bench.env, DATABASE_URL: workerProxies.databaseUrl, REDIS_URL: workerProxies.redisUrl });
try {
  await waitForHttp(bench.port);
  const api = apiClient(bench.port, merchant.secret_key_test, 128);
  const reward = await api.call("POST", "/v1/loyalty/rewards", { name: "5 off", type: "discount_amount", cost: 1, value: { amount: 500, currency: "EUR" } });
  const accounts: string[] = [];
  for (let i = 0; i < ACCOUNTS; i++) {
    const account = await api.call("POST", "/v1/loyalty/accounts", { customer: `rt_${i}` });
    await api.call("POST", "/v1/loyalty/transactions", { account: account.body.id, amount: 1_000_000, reason: "bench" });
    accounts.push(account.body.id);
  }
  const redeem = async (i: number) => {
    const res = await api.call("POST", "/v1/loyalty/redemptions", { account: accounts[i % ACCOUNTS], reward: reward.body.id }, { "idempotency-key": randomUUID() });
    if (res.status !== 201) throw new Error(`unexpected ${res.status}: ${JSON.stringify(res.body)}`);
  };
  for (let i = 0; i < 50; i++) await redeem(i);

  console.log(`round trips per redemption (web ×1, worker ×1, ${REDEMPTIONS} redemptions per row, counted on the wire)`);
  console.log("| clients | web PG round trips | web PG statements | web Redis commands | web Redis writes | worker PG round trips | worker PG statements | worker Redis commands | worker Redis writes | web CPU ms | worker CPU ms |");
  console.log("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const clients of CLIENT_COUNTS) {
    // Let background work of the previous row (relay, notices, job finishes) settle, then count.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    webProxies.reset();
    workerProxies.reset();
    const cpuBefore = [cpuSeconds(web.pid!), cpuSeconds(worker.pid!)];
    let next = 0;
    await Promise.all(Array.from({ length: clients }, async () => {
      while (next < REDEMPTIONS) await redeem(next++);
    }));
    const per = (n: number) => (n / REDEMPTIONS).toFixed(2);
    const cpuMs = [cpuSeconds(web.pid!) - cpuBefore[0]!, cpuSeconds(worker.pid!) - cpuBefore[1]!].map((s) => ((s * 1000) / REDEMPTIONS).toFixed(2));
    const w = { ...webProxies.counts };
    const k = { ...workerProxies.counts };
    console.log(`| ${clients} | ${per(w.pgRoundTrips)} | ${per(w.pgStatements)} | ${per(w.redisCommands)} | ${per(w.redisWrites)} | ${per(k.pgRoundTrips)} | ${per(k.pgStatements)} | ${per(k.redisCommands)} | ${per(k.redisWrites)} | ${cpuMs[0]} | ${cpuMs[1]} |`);
  }
  if (process.env.COMMANDS) {
    const byName = (c: Counts) => Object.entries(c.redisByName).sort((a, b) => b[1] - a[1]).map(([name, n]) => `${name} ${(n / REDEMPTIONS).toFixed(2)}`).join(", ");
    console.log(`last row, Redis commands per redemption by name — web: ${byName(webProxies.counts)}; worker: ${byName(workerProxies.counts)}`);
    for (const [who, c] of [["web", webProxies.counts], ["worker", workerProxies.counts]] as const) {
      console.log(`last row, ${who} Postgres statements per redemption:`);
      for (const [text, n] of Object.entries(c.pgByStatement).sort((a, b) => b[1] - a[1])) console.log(`  ${(n / REDEMPTIONS).toFixed(2)}  ${text}`);
    }
  }
  console.log("CPU: utime+stime of the web and worker processes over the same window (their own pids, so other load on the machine does not count, though it slows them).");
  console.log("Worker figures include its background loops (relay every WEBHOOK_RELAY_INTERVAL_MS, the expiry probe every EXPIRY_INTERVAL_MS, sweeps, lock renewals) during the window; no webhook endpoint is registered, so no deliveries.");
} finally {
  await Promise.all([stopProcess(web), stopProcess(worker)]);
  for (const server of servers) server.close();
  await cleanup(bench);
}
process.exit(0);
