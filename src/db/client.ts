import { Kysely, PostgresDialect } from "kysely";
import { userInfo } from "node:os";
import pg from "pg";
import type { Database, Db } from "./database.js";
import type { DependencyMonitor } from "../ops/dependency-monitor.js";
import { usePreparedStatements } from "./prepared-statements.js";
import { useTransactionPooling, type Pooling } from "./pooling.js";

// int8 (bigint, bigserial) arrives as a string by default. Points and sequence numbers stay far below
// 2^53, and a CHECK in the schema keeps amounts below that bound, so numbers are exact.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

/**
 * libpq falls back to the OS user when the URL names none; node-postgres reads only $USER, which
 * service managers and CI often leave unset. Do what libpq does, so the default URL works everywhere.
 */
export function connectionConfig(databaseUrl: string): pg.ClientConfig {
  const url = new URL(databaseUrl);
  if (url.username === "") url.username = encodeURIComponent(process.env.PGUSER || process.env.USER || userInfo().username);
  return { connectionString: url.toString() };
}

/** Bounds on every Postgres wait of a process (see README "Timeouts"). */
export interface DbTimeouts {
  /** Connecting, and waiting for a free pooled connection. */
  connectMs: number;
  /** One statement, enforced by Postgres (it cancels the statement; the connection stays usable). */
  statementMs: number;
  /** A transaction left open by a stalled process: Postgres ends the session and frees its locks. */
  idleInTransactionMs: number;
}

export const DEFAULT_DB_TIMEOUTS: DbTimeouts = { connectMs: 5_000, statementMs: 30_000, idleInTransactionMs: 60_000 };

/** How much later than the statement timeout the client gives up on a statement (transaction pooling). */
const QUERY_DEADLINE_MARGIN_MS = 250;

/**
 * The pool of one process. With `pooling: "transaction"` (a PgBouncer in transaction mode in between)
 * no session state is relied on: no named prepared statements, the timeouts sent as SET LOCAL with each
 * BEGIN, and node-postgres's `query_timeout` as the deadline of a statement outside a transaction.
 */
export function createDb(
  databaseUrl: string,
  poolSize = 10,
  timeouts: DbTimeouts = DEFAULT_DB_TIMEOUTS,
  monitor?: DependencyMonitor,
  pooling: Pooling = "session",
): Db {
  const sessionTimeouts =
    pooling === "session"
      ? { statement_timeout: timeouts.statementMs, idle_in_transaction_session_timeout: timeouts.idleInTransactionMs }
      : // Inside a transaction a little later than the server's own (SET LOCAL) statement_timeout, so
        // Postgres cancels first; outside one it is the only deadline, so it stays close to the statement
        // timeout: a read through PgBouncer to a stopped Postgres must still answer within
        // REQUEST_TIMEOUT_MS + 1 s, however long the request spent before its query.
        { query_timeout: timeouts.statementMs + QUERY_DEADLINE_MARGIN_MS };
  const pool = new pg.Pool({
    ...connectionConfig(databaseUrl),
    max: poolSize,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: timeouts.connectMs,
    ...sessionTimeouts,
    // A Postgres host that vanished without closing its sockets is noticed by TCP, not by waiting forever.
    keepAlive: true,
  });
  // An idle client that loses its server (Postgres restart) emits 'error'; without a listener that
  // would crash the process. The pool discards the client and the next query reconnects.
  pool.on("error", (error) => monitor?.down("postgres", error));
  // The pool listens only while a client is idle. A client checked out between queries (a transaction
  // waiting on the app, the sweeper's transaction holding its lease) that loses its server emits
  // 'error' on itself: found by the chaos suite, it crashed every web and worker process on a Postgres
  // restart. Listen for good; the failed client is not queryable, so the pool discards it on release.
  pool.on("connect", (client) => {
    client.on("error", (error) => monitor?.down("postgres", error));
    // Named statements live on a server connection, which transaction pooling shares: unnamed there.
    if (pooling === "session") usePreparedStatements(client);
    else useTransactionPooling(client, timeouts);
  });
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

/** Creates the database named in the URL when it does not exist yet (spec §9). */
export async function ensureDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ""));
  if (!name) return;
  url.pathname = "/postgres";
  const client = new pg.Client({ ...connectionConfig(url.toString()), connectionTimeoutMillis: DEFAULT_DB_TIMEOUTS.connectMs });
  client.on("error", () => {}); // a connection lost mid-way fails the query below, which is what counts
  await client.connect();
  try {
    const found = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (found.rowCount === 0) {
      try {
        await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
      } catch (error) {
        // Two processes starting together: the loser sees duplicate_database (42P04).
        if ((error as { code?: string }).code !== "42P04") throw error;
      }
    }
  } finally {
    await client.end();
  }
}
