import { sql } from "kysely";
import { afterAll, beforeAll, expect, test } from "vitest";
import { checkInvariants } from "../../src/domain/invariants/checks.js";
import { createAccount, createReward } from "../helpers/factories.js";
import { startHarness, type Harness } from "../helpers/harness.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.close());

const violatedIds = async () =>
  (await checkInvariants(h.deps.db)).filter((result) => result.violations.length > 0).map((result) => result.id);

test("holds on honest data, and catches each kind of corruption", async () => {
  const account = await createAccount(h, 2000);
  const reward = await createReward(h, "discount_amount", { inventory: 5 });
  const redemption = await h.api("POST", "/v1/loyalty/redemptions", { body: { account: account.id, reward: reward.id } });
  expect(redemption.status).toBe(201);
  expect(await violatedIds()).toEqual([]);

  // Corrupt on purpose, each in a transaction we roll back, and see the checker name the right invariant.
  const corrupt = async (statements: ReturnType<typeof sql>[], expected: number) => {
    await h.deps.db
      .transaction()
      .execute(async (trx) => {
        for (const statement of statements) await statement.execute(trx);
        const results = await checkInvariants(trx as never);
        expect(results.filter((r) => r.violations.length > 0).map((r) => r.id)).toContain(expected);
        throw new Error("rollback");
      })
      .catch((error: Error) => expect(error.message).toBe("rollback"));
  };
  await corrupt([sql`UPDATE loyalty_accounts SET balance = balance + 1 WHERE id = ${account.id}`], 1);
  await corrupt([sql`ALTER TABLE rewards DROP CONSTRAINT rewards_inventory_check`, sql`UPDATE rewards SET inventory = -1 WHERE id = ${reward.id}`], 2);
  await corrupt([sql`UPDATE redemptions SET points = points + 1 WHERE id = ${redemption.body.id}`], 3);
  await corrupt([sql`UPDATE redemptions SET version = 3 WHERE id = ${redemption.body.id}`], 5);
  expect(await violatedIds()).toEqual([]);
});
