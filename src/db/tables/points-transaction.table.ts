import type { Generated, JSONColumnType } from "kysely";
import type { Metadata } from "./account.table.js";

export type PointsTransactionType = "earn" | "adjustment" | "redemption" | "release" | "reversal";

/** Append-only ledger: a trigger refuses UPDATE and DELETE. */
export interface PointsTransactionTable {
  id: string;
  seq: Generated<number>;
  merchant_id: string;
  livemode: boolean;
  account_id: string;
  type: PointsTransactionType;
  amount: number;
  balance_after: number;
  reason: string | null;
  redemption_id: string | null;
  metadata: JSONColumnType<Metadata>;
  created_at: Generated<Date>;
}
