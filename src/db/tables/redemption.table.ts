import type { Generated, JSONColumnType } from "kysely";
import type { Metadata } from "./account.table.js";
import type { RewardType } from "./reward.table.js";

export type RedemptionStatus = "pending" | "fulfillment_pending" | "applied" | "fulfilled" | "released" | "reversed";

export type Discount = { amount: number; currency: string; code: string } | { percent: number; code: string };
export interface Credit {
  amount: number;
  currency: string;
}
export interface Shipping {
  name: string;
  line1: string;
  line2?: string | null;
  city: string;
  postal_code: string;
  country: string;
  state?: string | null;
}
export interface Fulfillment {
  product: string;
  quantity: number;
  shipping: Shipping;
  carrier: string | null;
  tracking: string | null;
  shipped_at: number | null;
}
export interface Reversal {
  reason: string;
  points_transaction: string;
}

export interface RedemptionTable {
  id: string;
  seq: Generated<number>;
  merchant_id: string;
  livemode: boolean;
  account_id: string;
  reward_id: string;
  reward_type: RewardType;
  quantity: number;
  points: number;
  status: RedemptionStatus;
  discount: JSONColumnType<Discount> | null;
  /** Unique per merchant; stays on the row after voiding, but only live statuses match `?code=`. */
  discount_code: string | null;
  credit: JSONColumnType<Credit> | null;
  fulfillment: JSONColumnType<Fulfillment> | null;
  payment_id: string | null;
  points_transaction_id: string;
  reversal: JSONColumnType<Reversal> | null;
  expires_at: Date | null;
  /** +1 on every status change; events carry it so receivers can order them. */
  version: number;
  metadata: JSONColumnType<Metadata>;
  idempotency_id: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}
