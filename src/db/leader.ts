import { sql } from "kysely";
import type { Db } from "./database.js";

/**
 * Runs `work` only while this process holds the lease `key`, one holder at a time across every process.
 * The lease is a transaction-level advisory lock (pg_try_advisory_xact_lock) in a transaction held open
 * while `work` runs on the pool's other connections: through PgBouncer in transaction mode a server
 * connection is ours for exactly one transaction, so a session-level lock could be taken on one server
 * connection and "released" on another, or stay behind on it for good. The lock ends with its
 * transaction, whatever happens: COMMIT, a crash, a lost connection, or Postgres ending a transaction
 * left idle past idle_in_transaction_session_timeout (then the next holder may start while this `work`
 * still finishes; everything run under a lease must stay safe to run twice, as the sweeps are).
 * Holding it costs one pooled connection (and one PgBouncer server connection) for the duration.
 */
export async function whileLeading<T>(db: Db, key: number, work: () => Promise<T>): Promise<{ led: true; value: T } | { led: false }> {
  return db.transaction().execute(async (trx) => {
    const { rows } = await sql<{ locked: boolean }>`SELECT pg_try_advisory_xact_lock(${key}::bigint) AS locked`.execute(trx);
    if (!rows[0]?.locked) return { led: false as const };
    return { led: true as const, value: await work() };
  });
}
