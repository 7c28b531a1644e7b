import { sql, type RawBuilder } from "kysely";
import type { Db } from "../../db/database.js";
import { DELIVERY_CHECKS } from "./delivery-checks.js";
import { INBOUND_CHECKS } from "./inbound-checks.js";

/**
 * docs/guarantees.md's invariants as SQL over the tables of record. Each check returns the violating rows (empty =
 * holds). Read-only; safe to run against production (each is one query over indexed columns).
 */
export interface InvariantCheck {
  id: number;
  name: string;
  /** `grace` is an SQL interval: rows younger than it may still be in flight and are not judged. */
  query: RawBuilder<Record<string, unknown>> | ((grace: RawBuilder<unknown>) => RawBuilder<Record<string, unknown>>);
}

export const INVARIANT_CHECKS: InvariantCheck[] = [
  {
    id: 1,
    name: "every account: balance = Σ ledger amounts, and balance ≥ 0",
    query: sql`
      SELECT a.id AS account, a.balance, COALESCE(SUM(t.amount), 0)::bigint AS ledger_sum
      FROM loyalty_accounts a LEFT JOIN points_transactions t ON t.account_id = a.id
      GROUP BY a.id
      HAVING a.balance <> COALESCE(SUM(t.amount), 0) OR a.balance < 0`,
  },
  {
    id: 1,
    name: "every ledger row's balance_after is the running sum of its account's ledger",
    query: sql`
      SELECT id AS points_transaction, account_id AS account, balance_after, running_sum FROM (
        SELECT id, account_id, balance_after, SUM(amount) OVER (PARTITION BY account_id ORDER BY seq) AS running_sum
        FROM points_transactions) ledger
      WHERE balance_after <> running_sum`,
  },
  {
    id: 2,
    name: "every reward: inventory ≥ 0",
    query: sql`SELECT id AS reward, inventory FROM rewards WHERE inventory < 0`,
  },
  {
    id: 3,
    name: "every redemption has exactly one debit of its points",
    query: sql`
      SELECT r.id AS redemption, COUNT(t.id)::int AS debits, COALESCE(SUM(t.amount), 0)::bigint AS debited, r.points
      FROM redemptions r LEFT JOIN points_transactions t ON t.redemption_id = r.id AND t.type = 'redemption'
      GROUP BY r.id
      HAVING COUNT(t.id) <> 1 OR COALESCE(SUM(t.amount), 0) <> -r.points`,
  },
  {
    id: 3,
    name: "at most one credit-back per redemption, returning its points, only if released or reversed",
    query: sql`
      SELECT r.id AS redemption, r.status, COUNT(t.id)::int AS credits, COALESCE(SUM(t.amount), 0)::bigint AS credited
      FROM redemptions r LEFT JOIN points_transactions t ON t.redemption_id = r.id AND t.type IN ('release', 'reversal')
      GROUP BY r.id
      HAVING COUNT(t.id) > 1
          OR (COUNT(t.id) = 1) <> (r.status IN ('released', 'reversed'))
          OR (COUNT(t.id) = 1 AND SUM(t.amount) <> r.points)`,
  },
  {
    id: 4,
    name: "each idempotency key produced at most one redemption",
    query: sql`
      SELECT idempotency_id, COUNT(*)::int AS redemptions FROM redemptions
      WHERE idempotency_id IS NOT NULL GROUP BY idempotency_id HAVING COUNT(*) > 1`,
  },
  {
    id: 5,
    name: "every status change has exactly one event; versions run 1..n without gaps (within event retention)",
    query: sql`
      SELECT r.id AS redemption, r.version, COUNT(e.id)::int AS events,
             COALESCE(MIN(e.version), 0) AS first_version, COALESCE(MAX(e.version), 0) AS last_version
      FROM redemptions r
      LEFT JOIN events e ON e.redemption_id = r.id AND e.type <> 'loyalty.redemption.settlement_conflict'
      -- Events are deleted after 35 days (retention); older redemptions may rightly miss early versions.
      WHERE r.created_at > now() - interval '30 days'
      GROUP BY r.id
      HAVING COUNT(e.id) <> r.version OR COUNT(DISTINCT e.version) <> r.version
          OR COALESCE(MIN(e.version), 0) <> 1 OR COALESCE(MAX(e.version), 0) <> r.version`,
  },
  ...INBOUND_CHECKS,
  ...DELIVERY_CHECKS,
];

export interface InvariantResult {
  id: number;
  name: string;
  violations: Record<string, unknown>[];
}

export interface CheckOptions {
  /** Violating rows reported per check. */
  limit?: number;
  /**
   * Work younger than this (seconds) is still in flight, not lost: an inbox row not yet processed, an
   * event not yet relayed, a delivery a little overdue. 0 after a drain, when everything must be settled.
   */
  graceSeconds?: number;
}

export const DEFAULT_GRACE_SECONDS = 300;

export async function checkInvariants(db: Db, options: CheckOptions = {}): Promise<InvariantResult[]> {
  const limit = options.limit ?? 100;
  const grace = sql`make_interval(secs => ${options.graceSeconds ?? DEFAULT_GRACE_SECONDS})`;
  const results: InvariantResult[] = [];
  for (const check of INVARIANT_CHECKS) {
    const query = typeof check.query === "function" ? check.query(grace) : check.query;
    const { rows } = await sql<Record<string, unknown>>`SELECT * FROM (${query}) violations LIMIT ${limit}`.execute(db);
    results.push({ id: check.id, name: check.name, violations: rows });
  }
  return results;
}
