import { expect, test } from "vitest";
import { newDiscountCode, newId } from "../../src/ids.js";

test("ids are prefixed, URL-safe, at most 40 characters and not sequential", () => {
  const ids = Array.from({ length: 2000 }, () => newId("redemption"));
  for (const id of ids) expect(id).toMatch(/^rdm_[A-Za-z0-9]{24}$/);
  expect(new Set(ids).size).toBe(ids.length);
  expect([...ids].sort()).not.toEqual(ids);
  expect(newId("deliveryAttempt").length).toBeLessThanOrEqual(40);
});

test("discount codes are human-typable: VINR- and 4–8 of A–Z/2–9 without 0, O, 1, I", () => {
  for (let i = 0; i < 2000; i++) {
    const code = newDiscountCode();
    expect(code).toMatch(/^VINR-[A-HJ-NP-Z2-9]{4,8}$/);
  }
});
