import type pg from "pg";
import type { DbTimeouts } from "./client.js";

/**
 * How the service reaches Postgres (DATABASE_POOLING). `session`: its own connections, or a pooler in
 * session mode — a connection is ours for as long as we hold it. `transaction`: a pooler such as
 * PgBouncer in transaction mode hands a server connection over only for one transaction (or one
 * statement outside a transaction), so nothing may rely on state that outlives it. See docs/pgbouncer.md.
 */
export type Pooling = "session" | "transaction";
export const POOLING_MODES = ["session", "transaction"] as const;

/** What Kysely sends to open a transaction (`begin`, or `start transaction isolation level …`). */
const BEGIN = /^\s*(begin|start\s+transaction)\b[^;]*$/i;
/** node-postgres's error when `query_timeout` passes before the server answers. */
const CLIENT_DEADLINE = "Query read timeout";

/**
 * For transaction pooling: the session timeouts cannot be startup parameters (PgBouncer refuses them,
 * and a server connection is shared anyway), so every transaction starts with them as SET LOCAL, in
 * the same round trip as its BEGIN (one simple-protocol query: BEGIN stays open after it). A statement
 * outside a transaction has only the client-side deadline (`query_timeout`); when it passes the
 * connection is closed rather than pooled, since its statement may still be running behind it.
 */
export function useTransactionPooling(client: pg.PoolClient, timeouts: DbTimeouts): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  const locals =
    `; SET LOCAL statement_timeout = ${Math.round(timeouts.statementMs)}` +
    `; SET LOCAL idle_in_transaction_session_timeout = ${Math.round(timeouts.idleInTransactionMs)}`;
  const closeOnDeadline = (error: { message?: string }) => {
    // end() marks the client as ending at once (so the pool discards it when Kysely releases it, a few
    // microtasks later) and, with a query still active, cuts the socket rather than waiting for it.
    if (error?.message === CLIENT_DEADLINE) client.end().catch(() => {});
    throw error;
  };
  (client as { query: unknown }).query = (text: unknown, values?: unknown, callback?: unknown) => {
    if (callback !== undefined) return query(text, values, callback);
    const noValues = values === undefined || (Array.isArray(values) && values.length === 0);
    if (typeof text === "string" && noValues && BEGIN.test(text)) {
      // Several statements answer with one result each; the caller asked for BEGIN's.
      return (query(text + locals) as Promise<pg.QueryResult[]>).then((results) => results[0], closeOnDeadline);
    }
    return (query(text, values) as Promise<unknown>).catch(closeOnDeadline);
  };
}
