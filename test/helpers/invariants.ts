import { sql } from "kysely";
import { expect } from "vitest";
import type { Db } from "../../src/db/database.js";

/** DESIGN invariants 1–4, asserted straight on the tables. */
export async function expectLedgerInvariants(db: Db): Promise<void> {
  const drift = await sql<{ id: string; balance: number; sum: number }>`
    SELECT a.id, a.balance, COALESCE(SUM(t.amount), 0)::bigint AS sum
    FROM loyalty_accounts a LEFT JOIN points_transactions t ON t.account_id = a.id
    GROUP BY a.id HAVING a.balance <> COALESCE(SUM(t.amount), 0) OR a.balance < 0`.execute(db);
  expect(drift.rows).toEqual([]);

  const debits = await sql<{ id: string; debits: number }>`
    SELECT r.id, COUNT(t.id)::int AS debits FROM redemptions r
    LEFT JOIN points_transactions t ON t.redemption_id = r.id AND t.type = 'redemption'
    GROUP BY r.id HAVING COUNT(t.id) <> 1`.execute(db);
  expect(debits.rows).toEqual([]);

  const credits = await sql<{ id: string }>`
    SELECT r.id FROM redemptions r
    LEFT JOIN points_transactions t ON t.redemption_id = r.id AND t.type IN ('release', 'reversal')
    GROUP BY r.id, r.status
    HAVING COUNT(t.id) > 1 OR (COUNT(t.id) = 1) <> (r.status IN ('released', 'reversed'))`.execute(db);
  expect(credits.rows).toEqual([]);
}
