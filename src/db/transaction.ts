import type { Db, Trx } from "./database.js";
import { STALE_PLAN } from "./prepared-statements.js";

/**
 * serialization_failure, deadlock_detected, and a prepared statement gone stale after a migration (its
 * connection has been closed; see prepared-statements.ts): the transaction did nothing and may run again.
 */
const RETRYABLE = new Set(["40001", "40P01", STALE_PLAN]);

/** Runs `work` in a transaction, retrying the whole of it (bounded) when Postgres asks for a retry. */
export async function inTransaction<T>(db: Db, work: (trx: Trx) => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction().execute(work);
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (!code || !RETRYABLE.has(code) || attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 5 * 2 ** attempt * Math.random()));
    }
  }
}
