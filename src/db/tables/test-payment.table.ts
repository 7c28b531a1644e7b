import type { Generated, JSONColumnType } from "kysely";

export type TestPaymentStatus = "completed" | "failed" | "requires_authentication" | "expired";
export type TestPaymentFailureCode = "card_declined" | "insufficient_funds";

/** One discount as the sandbox applied it: which redemption, and how much it took off this payment. */
export interface AppliedDiscount {
  redemption: string;
  amount: number;
}

/** A sandbox payment (test mode only). Amounts are integer minor units of `currency`. */
export interface TestPaymentTable {
  id: string;
  seq: Generated<number>;
  merchant_id: string;
  amount: number;
  amount_discount: number;
  amount_charged: number;
  currency: string;
  card_last4: string;
  status: TestPaymentStatus;
  failure_code: TestPaymentFailureCode | null;
  discounts: JSONColumnType<AppliedDiscount[]>;
  customer: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}
