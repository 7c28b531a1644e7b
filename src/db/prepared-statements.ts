import { createHash } from "node:crypto";
import type pg from "pg";

/**
 * Makes every parameterised query a named prepared statement on its connection. Kysely sends SQL text
 * with `$n` placeholders through node-postgres's unnamed extended protocol, so Postgres parses and plans
 * each statement on every call; naming it lets the connection parse once and then only bind and execute
 * (pgbench measures ~40 % more transactions per second for the redemption SQL, -M prepared vs extended).
 *
 * The name is a hash of the text, so the same SQL shares one statement per connection. The set of texts
 * is bounded by the code (queries are built from fixed shapes; `IN (…)` lists add a few length variants).
 * Statements without parameters (BEGIN, SAVEPOINT, migrations' multi-statement scripts) are left as they are.
 *
 * A migration that changes a table's columns invalidates statements prepared before it ("cached plan
 * must not change result type", 0A000) in processes still running (a rolling deploy). The connection then
 * starts a new generation of names, so every statement is prepared afresh; `inTransaction` retries the
 * work (the failed statement aborted its transaction). The stale statements stay on the server unused.
 *
 * Session pooling only (DATABASE_POOLING=session, the default): a named statement lives on one server
 * connection, which a pooler in transaction mode shares between clients, so there createDb leaves
 * queries unnamed (src/db/pooling.ts; docs/pgbouncer.md).
 */
export function usePreparedStatements(client: pg.PoolClient): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  let generation = 0;
  (client as { query: unknown }).query = (text: unknown, values?: unknown, callback?: unknown) => {
    if (typeof text === "string" && Array.isArray(values) && values.length > 0 && callback === undefined) {
      return (query({ name: `${statementName(text)}_${generation}`, text, values }) as Promise<unknown>).catch((error: { code?: string }) => {
        if (error.code === STALE_PLAN) generation++;
        throw error;
      });
    }
    return callback === undefined ? query(text, values) : query(text, values, callback);
  };
}

export const STALE_PLAN = "0A000";

const names = new Map<string, string>();
function statementName(text: string): string {
  let name = names.get(text);
  if (name === undefined) {
    name = `k_${createHash("sha1").update(text).digest("base64url").slice(0, 20)}`;
    if (names.size > 5_000) names.clear();
    names.set(text, name);
  }
  return name;
}
