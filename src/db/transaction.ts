import type { Db, Trx } from "./database.js";

/** serialization_failure, deadlock_detected: the transaction did nothing and may simply run again. */
const RETRYABLE = new Set(["40001", "40P01"]);

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
