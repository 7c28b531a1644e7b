import type { TestPaymentFailureCode, TestPaymentStatus } from "../../db/tables/test-payment.table.js";

/** What each sandbox card does (docs/api.md §7). Any other number is refused: a typo should not "succeed". */
export const TEST_CARDS: Record<string, { status: TestPaymentStatus; failureCode: TestPaymentFailureCode | null }> = {
  "4242424242424242": { status: "completed", failureCode: null },
  "4000000000000002": { status: "failed", failureCode: "card_declined" },
  "4000000000009995": { status: "failed", failureCode: "insufficient_funds" },
  "4000000000003220": { status: "requires_authentication", failureCode: null },
};

/** Spaces are optional (`4242 4242 4242 4242` = `4242424242424242`); nothing else is stripped. */
export const normaliseCardNumber = (number: string) => number.replace(/ /g, "");

export type DiscountValue = { amount: number; currency: string } | { percent: number };

/**
 * How much each discount takes off, in the order given: an amount discount its amount, a percent
 * discount floor(amount × percent / 100) of the payment's full amount (percentages do not compound).
 * The running total never exceeds the amount, so the charge never goes below 0; a discount that
 * arrives after the amount is used up takes off what is left (possibly 0).
 */
export function applyDiscounts(amount: number, discounts: DiscountValue[]): number[] {
  let left = amount;
  return discounts.map((discount) => {
    const wanted = "percent" in discount ? Math.floor((amount * discount.percent) / 100) : discount.amount;
    const taken = Math.min(left, wanted);
    left -= taken;
    return taken;
  });
}
