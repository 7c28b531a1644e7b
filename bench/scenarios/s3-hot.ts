import { sql } from "kysely";
import { checkInvariants } from "../../src/domain/invariants/checks.js";
import { closedLoop, redeem, secs, seedAccounts, type LoadResult } from "../lib.js";
import { metered, type RedemptionContext } from "./context.js";

export interface S3Result extends LoadResult {
  clients: number;
  cpuMsPerRedemption: Record<string, number>;
  /** Balance before − successful redemptions = balance after, and Σ ledger = balance. */
  ledgerExact: boolean;
  balanceBefore: number;
  balanceAfter: number;
  ledgerSum: number;
  /** checkInvariants over the whole bench database: names of the invariants with violations. */
  invariantViolations: string[];
}

/** S3 — one hot account: every request debits the same row. Then the ledger is checked exactly. */
export async function s3Hot(ctx: RedemptionContext, clients = 32): Promise<S3Result> {
  const balance = 1_000_000_000;
  const [hot] = await seedAccounts(ctx.svc.db, ctx.svc.merchant.merchant, 1, balance);
  const op = () => redeem(ctx.svc.api, hot!, ctx.reward);
  const { result, cpuMsPerOp } = await metered(ctx.svc, () => closedLoop(clients, secs(15, 3) * 1000, op));
  const { rows } = await sql<{ balance: number; ledger: number }>`
    SELECT a.balance, (SELECT coalesce(sum(amount), 0)::bigint FROM points_transactions p WHERE p.account_id = a.id) AS ledger
    FROM loyalty_accounts a WHERE a.id = ${hot!}`.execute(ctx.svc.db);
  const after = Number(rows[0]!.balance);
  const ledger = Number(rows[0]!.ledger);
  const invariants = await checkInvariants(ctx.svc.db);
  return {
    ...result,
    clients,
    cpuMsPerRedemption: cpuMsPerOp,
    balanceBefore: balance,
    balanceAfter: after,
    ledgerSum: ledger,
    // Errors are excluded: a request that errored client-side may still have committed.
    ledgerExact: ledger === after && (result.errors > 0 ? after <= balance - result.ok : after === balance - result.ok),
    invariantViolations: invariants.filter((check) => check.violations.length > 0).map((check) => `${check.id}. ${check.name}`),
  };
}
