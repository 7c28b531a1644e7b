import { randomUUID } from "node:crypto";
import fc from "fast-check";
import { afterAll, beforeAll, expect, test } from "vitest";
import { createAccount, createReward, REWARD_BODIES, SHIPPING } from "../helpers/factories.js";
import { startHarness, type Harness } from "../helpers/harness.js";
import { expectLedgerInvariants } from "../helpers/invariants.js";
import { lifecycleCall, processed, sendWebhook } from "../helpers/lifecycle.js";

/**
 * Property: random sequences of REST lifecycle calls and payment/warehouse webhooks, each sent with its
 * own idempotency key or webhook-id, then duplicated and shuffled, leave the database where a small
 * reference model of docs/api.md §4–5 says, with every invariant holding. A duplicate must change nothing.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.close());

const KINDS = ["discount_amount", "free_product", "store_credit"] as const;
type Kind = (typeof KINDS)[number];
type Status = "pending" | "fulfillment_pending" | "applied" | "fulfilled" | "released" | "reversed";
interface ModelRedemption { kind: Kind; status: Status; payment: string | null; credited: boolean }

type Action =
  | { kind: "rest"; op: "release" | "reverse" | "fulfill"; target: number }
  | { kind: "pay"; type: string; payment: "A" | "B"; amount: number; target: number }
  | { kind: "ship"; type: string; target: number };

const target = fc.integer({ min: 0, max: 2 });
const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ kind: fc.constant("rest" as const), op: fc.constantFrom("release" as const, "reverse" as const, "fulfill" as const), target }),
  fc.record({
    kind: fc.constant("pay" as const),
    type: fc.constantFrom("payment.created", "payment.processing", "payment.completed", "payment.succeeded", "payment.canceled", "payment.failed", "payment.expired"),
    payment: fc.constantFrom("A" as const, "B" as const),
    // 1 is below the 500 discount: a link or completion carrying it never takes effect.
    amount: fc.constantFrom(2999, 2999, 1),
    target,
  }),
  fc.record({ kind: fc.constant("ship" as const), type: fc.constantFrom("shipment.shipped", "shipment.returned", "shipment.canceled"), target }),
);
/** Each action gets its identity, then some are dropped, some sent twice, and the order shuffled. */
const scenario = fc
  .array(action, { minLength: 1, maxLength: 8 })
  .chain((actions) => {
    const identified = actions.map((a, i) => ({ ...a, id: i }));
    return fc.shuffledSubarray([...identified, ...identified], { minLength: actions.length });
  });

/** The reference model: what docs/api.md says one (first) arrival does. Returns whether it changed the status. */
function applyModel(r: ModelRedemption, a: Action, paymentId: string): boolean {
  const move = (to: Status, credit = false) => ((r.status = to), credit && (r.credited = true), true);
  if (a.kind === "rest") {
    if (a.op === "release") return r.status === "pending" && move("released", true);
    if (a.op === "fulfill") return r.status === "fulfillment_pending" && move("fulfilled");
    const reversible = ["pending", "fulfillment_pending", "fulfilled"].includes(r.status) || (r.status === "applied" && r.kind === "store_credit");
    return reversible && move("reversed", true);
  }
  if (a.kind === "pay") {
    if (r.kind !== "discount_amount") return false;
    if (r.payment !== null && r.payment !== paymentId) return false;
    const covers = a.amount >= REWARD_BODIES.discount_amount.value.amount; // the order total must cover the discount
    if (["payment.created", "payment.processing"].includes(a.type)) {
      if (covers && r.payment === null && r.status === "pending") r.payment = paymentId;
      return false;
    }
    if (["payment.completed", "payment.succeeded"].includes(a.type)) return covers && r.status === "pending" && ((r.payment = paymentId), move("applied"));
    return r.status === "pending" && ((r.payment = paymentId), move("released", true));
  }
  if (r.kind !== "free_product") return false;
  if (a.type === "shipment.shipped") return r.status === "fulfillment_pending" && move("fulfilled");
  if (a.type === "shipment.returned") return ["fulfillment_pending", "fulfilled"].includes(r.status) && move("reversed", true);
  return r.status === "fulfillment_pending" && move("reversed", true);
}

const COST: Record<Kind, number> = { discount_amount: 500, free_product: 1200, store_credit: 1000 };
const START: Record<Kind, Status> = { discount_amount: "pending", free_product: "fulfillment_pending", store_credit: "applied" };

test("lifecycle under duplicated, shuffled calls and webhooks matches the reference model", async () => {
  await fc.assert(
    fc.asyncProperty(scenario, async (steps) => {
      const account = await createAccount(h, 5_000);
      const ids: string[] = [];
      const rewards: string[] = [];
      for (const kind of KINDS) {
        const reward = await createReward(h, kind, { inventory: 10 });
        const body: Record<string, unknown> = { account: account.id, reward: reward.id };
        if (kind === "free_product") body.shipping = SHIPPING;
        const res = await h.api("POST", "/v1/loyalty/redemptions", { body, idempotencyKey: randomUUID() });
        expect(res.status, res.text).toBe(201);
        ids.push(res.body.id);
        rewards.push(reward.id);
      }
      const model: ModelRedemption[] = KINDS.map((kind) => ({ kind, status: START[kind], payment: null, credited: false }));
      const run = randomUUID().slice(0, 8);
      const payments = { A: `pay_${run}A`, B: `pay_${run}B` };
      const seen = new Set<number>();

      for (const step of steps) {
        const first = !seen.has(step.id);
        seen.add(step.id);
        const redemption = model[step.target]!;
        const paymentId = step.kind === "pay" ? payments[step.payment] : "";
        const changed = first ? applyModel(redemption, step, paymentId) : false;
        const identity = `${run}-${step.id}`;
        if (step.kind === "rest") {
          const body = step.op === "reverse" ? { reason: "other" } : step.op === "fulfill" ? { tracking: "T1" } : {};
          const res = await lifecycleCall(h, ids[step.target]!, step.op, body, identity);
          // A duplicate replays the first answer, which the model decided when it first arrived.
          if (first) expect(res.status, `${step.op} ${redemption.kind} ${res.text}`).toBe(changed ? 200 : 422);
        } else {
          const object =
            step.kind === "pay"
              ? { id: paymentId, amount: step.amount, currency: "EUR", discounts: [{ redemption: ids[step.target] }] }
              : { redemption: ids[step.target], tracking: "T2" };
          const res = await sendWebhook(h, step.kind === "pay" ? "payments" : "warehouse", { type: step.type, data: { object } }, { webhookId: `msg_${identity}` });
          expect(res.status).toBe(200);
          await processed(h, res.webhookId);
        }
      }

      const rows = await h.deps.db.selectFrom("redemptions").select(["id", "status", "payment_id"]).where("id", "in", ids).execute();
      const byId = new Map(rows.map((row) => [row.id, row]));
      ids.forEach((id, i) => {
        expect(byId.get(id)?.status, `${model[i]!.kind}`).toBe(model[i]!.status);
        if (model[i]!.kind === "discount_amount") expect(byId.get(id)?.payment_id).toBe(model[i]!.payment);
      });
      const balance = await h.deps.db.selectFrom("loyalty_accounts").select("balance").where("id", "=", account.id).executeTakeFirstOrThrow();
      expect(balance.balance).toBe(5_000 - model.reduce((sum, r) => sum + (r.credited ? 0 : COST[r.kind]), 0));
      const inventories = await h.deps.db.selectFrom("rewards").select(["id", "inventory"]).where("id", "in", rewards).execute();
      for (const [i, rewardId] of rewards.entries()) {
        expect(inventories.find((row) => row.id === rewardId)?.inventory).toBe(model[i]!.credited ? 10 : 9);
      }
      await expectLedgerInvariants(h.deps.db);
    }),
    { numRuns: 15 },
  );
}, 120_000);
