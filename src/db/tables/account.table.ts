import type { Generated, JSONColumnType } from "kysely";

export type Metadata = Record<string, string>;

export interface LoyaltyAccountTable {
  id: string;
  seq: Generated<number>;
  merchant_id: string;
  livemode: boolean;
  customer: string | null;
  status: "active" | "closed";
  /** CHECK (balance >= 0); only ever changed by a conditional UPDATE that also inserts the ledger row. */
  balance: Generated<number>;
  lifetime_points: Generated<number>;
  metadata: JSONColumnType<Metadata>;
  created_at: Generated<Date>;
  closed_at: Date | null;
}
