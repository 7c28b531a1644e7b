import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { REWARD_BODIES } from "../helpers/factories.js";
import { startHarness, type Harness } from "../helpers/harness.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness({}, { workers: false });
});
afterAll(async () => h?.close());

describe("rewards", () => {
  test.each(Object.values(REWARD_BODIES))("create a $type reward", async (body) => {
    const res = await h.api("POST", "/v1/loyalty/rewards", { body: { ...body, inventory: 10, metadata: { sku: "x" } } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ object: "reward", type: body.type, cost: body.cost, active: true, inventory: 10, livemode: false });
    expect(res.body.id).toMatch(/^rwd_/);
    const row = await h.deps.db.selectFrom("rewards").selectAll().where("id", "=", res.body.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ type: body.type, cost: body.cost, inventory: 10, merchant_id: h.merchant.merchant });
  });

  test("free_product quantity defaults to 1; inventory defaults to unlimited (null)", async () => {
    const res = await h.api("POST", "/v1/loyalty/rewards", { body: REWARD_BODIES.free_product });
    expect(res.body).toMatchObject({ value: { product: "tote-bag", quantity: 1 }, inventory: null });
  });

  test.each([
    [{ ...REWARD_BODIES.discount_amount, cost: 0 }, "parameter_invalid", "cost"],
    [{ ...REWARD_BODIES.discount_amount, value: { amount: 500, currency: "eur" } }, "parameter_invalid", "value.currency"],
    [{ ...REWARD_BODIES.discount_percent, value: { percent: 101 } }, "parameter_invalid", "value.percent"],
    [{ ...REWARD_BODIES.discount_amount, type: "lottery" }, "parameter_invalid", "type"],
    [{ ...REWARD_BODIES.store_credit, inventory: -1 }, "parameter_invalid", "inventory"],
    [{ type: "store_credit", cost: 5, value: { amount: 1, currency: "EUR" } }, "parameter_missing", "name"],
  ])("invalid reward %# → 400 %s (%s)", async (body, code, param) => {
    const countRewards = async () =>
      Number((await h.deps.db.selectFrom("rewards").select((eb) => eb.fn.countAll<number>().as("n")).where("merchant_id", "=", h.merchant.merchant).executeTakeFirstOrThrow()).n);
    const before = await countRewards();
    const res = await h.api("POST", "/v1/loyalty/rewards", { body });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code, param });
    expect(await countRewards()).toBe(before);
  });

  test("retrieve, list by active, patch (type, cost and value are fixed)", async () => {
    const created = await h.api("POST", "/v1/loyalty/rewards", { body: REWARD_BODIES.store_credit });
    const id = created.body.id;
    expect((await h.api("GET", `/v1/loyalty/rewards/${id}`)).body).toEqual(created.body);
    const patched = await h.api("PATCH", `/v1/loyalty/rewards/${id}`, { body: { active: false, inventory: 3, name: "Credit" } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ active: false, inventory: 3, name: "Credit", cost: 1000 });
    const inactive = await h.api("GET", "/v1/loyalty/rewards?active=false");
    expect(inactive.body.data.map((r: { id: string }) => r.id)).toContain(id);
    const active = await h.api("GET", "/v1/loyalty/rewards?active=true");
    expect(active.body.data.map((r: { id: string }) => r.id)).not.toContain(id);
    const refused = await h.api("PATCH", `/v1/loyalty/rewards/${id}`, { body: { cost: 1 } });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({ code: "parameter_invalid", param: "cost" });
    expect((await h.deps.db.selectFrom("rewards").select("cost").where("id", "=", id).executeTakeFirstOrThrow()).cost).toBe(1000);
    expect((await h.api("PATCH", "/v1/loyalty/rewards/rwd_nope", { body: { active: true } })).status).toBe(404);
    expect((await h.api("GET", "/v1/loyalty/rewards/rwd_nope")).status).toBe(404);
  });
});
