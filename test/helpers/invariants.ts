import { expect } from "vitest";
import type { Db } from "../../src/db/database.js";
import { checkInvariants } from "../../src/domain/invariants/checks.js";

/** Every invariant of docs/guarantees.md that the tables can show, asserted with the operator's own checker. */
export async function expectLedgerInvariants(db: Db): Promise<void> {
  const violated = (await checkInvariants(db)).filter((result) => result.violations.length > 0);
  expect(violated).toEqual([]);
}
