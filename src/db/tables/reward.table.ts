import type { Generated, JSONColumnType } from "kysely";
import type { Metadata } from "./account.table.js";

export type RewardType = "discount_amount" | "discount_percent" | "free_product" | "store_credit";

export type RewardValue =
  | { amount: number; currency: string }
  | { percent: number }
  | { product: string; quantity: number };

export interface RewardTable {
  id: string;
  seq: Generated<number>;
  merchant_id: string;
  livemode: boolean;
  name: string;
  type: RewardType;
  cost: number;
  value: JSONColumnType<RewardValue>;
  active: boolean;
  /** Remaining units; null = unlimited. CHECK (inventory >= 0). */
  inventory: number | null;
  metadata: JSONColumnType<Metadata>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}
