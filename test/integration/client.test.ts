import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { AuthenticationError, Client, ConnectionError, InvalidRequestError } from "../../src/client/index.js";
import { signWebhook } from "../../src/webhooks/standard-webhooks.js";
import { startHarness, type Harness } from "../helpers/harness.js";
import { listen } from "../helpers/listen.js";

let h: Harness;
let server: Awaited<ReturnType<typeof listen>>;
let client: Client;
beforeAll(async () => {
  h = await startHarness();
  server = await listen(h.app.fetch);
  client = new Client({ secretKey: h.merchant.secret_key_test, baseUrl: server.url });
});
afterAll(async () => {
  await server?.close();
  await h?.close();
});

describe("typed client over the wire", () => {
  test("the redemption loop, with an idempotency key", async () => {
    const account = await client.loyalty.accounts.create({ customer: "cus_client" });
    await client.loyalty.transactions.create({ account: account.id, amount: 1500, reason: "welcome" });
    const reward = await client.loyalty.rewards.create({ name: "5 off", type: "discount_amount", cost: 500, value: { amount: 500, currency: "EUR" } });
    const redemption = await client.loyalty.redemptions.create({ account: account.id, reward: reward.id }, { idempotencyKey: "client-cart-1" });
    expect(redemption).toMatchObject({ status: "pending", points: 500, discount: { amount: 500, currency: "EUR" } });
    const again = await client.loyalty.redemptions.create({ account: account.id, reward: reward.id }, { idempotencyKey: "client-cart-1" });
    expect(again.id).toBe(redemption.id);
    expect((await client.loyalty.accounts.retrieve(account.id)).balance).toBe(1000);
    expect((await client.loyalty.redemptions.retrieve(redemption.id)).id).toBe(redemption.id);
  });

  test("list is awaitable (first page) and async-iterable (every page)", async () => {
    for (let i = 0; i < 5; i++) await client.loyalty.accounts.create({ customer: "cus_paging" });
    const first = await client.loyalty.accounts.list({ customer: "cus_paging", limit: 2 });
    expect(first.data).toHaveLength(2);
    expect(first.has_more).toBe(true);
    const all: string[] = [];
    for await (const account of client.loyalty.accounts.list({ customer: "cus_paging", limit: 2 })) all.push(account.id);
    expect(all).toHaveLength(5);
    expect(new Set(all).size).toBe(5);
  });

  test("typed errors carry code, type, param and the request id", async () => {
    const error = await client.loyalty.accounts.retrieve("loy_nope").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(error).toMatchObject({ statusCode: 404, type: "invalid_request_error", code: "resource_missing", requestId: expect.stringMatching(/^req_/) });
    const badKey = new Client({ secretKey: "sk_test_notarealkeynotarealkey", baseUrl: server.url });
    await expect(badKey.loyalty.accounts.list()).rejects.toBeInstanceOf(AuthenticationError);
  });

  test("retries a 503 (honouring Retry-After) with the same Idempotency-Key, and the server debits once", async () => {
    const seenKeys: string[] = [];
    let calls = 0;
    const flaky = await listen(async (request) => {
      calls++;
      seenKeys.push(request.headers.get("idempotency-key") ?? "");
      if (calls === 1) return new Response(JSON.stringify({ error: { type: "api_error", code: "service_unavailable", message: "busy", request_id: "req_x" } }), { status: 503, headers: { "retry-after": "0" } });
      return h.app.fetch(request);
    });
    try {
      const flakyClient = new Client({ secretKey: h.merchant.secret_key_test, baseUrl: flaky.url });
      const account = await flakyClient.loyalty.accounts.create({ customer: "cus_flaky" });
      expect(account.customer).toBe("cus_flaky");
      expect(calls).toBe(2);
      expect(seenKeys[0]).toMatch(/^client_/);
      expect(seenKeys[1]).toBe(seenKeys[0]);
      const stored = await h.deps.db.selectFrom("loyalty_accounts").select("id").where("customer", "=", "cus_flaky").execute();
      expect(stored).toHaveLength(1);
    } finally {
      await flaky.close();
    }
  });

  test("a server that cannot be reached → ConnectionError after the retries", async () => {
    const closed = await listen(() => new Response("x"));
    await closed.close();
    const unreachable = new Client({ secretKey: h.merchant.secret_key_test, baseUrl: closed.url, maxRetries: 1 });
    await expect(unreachable.loyalty.accounts.list()).rejects.toBeInstanceOf(ConnectionError);
  });

  test("webhooks.verify accepts a signed body and refuses a tampered one", () => {
    const secret = "whsec_" + Buffer.from("0123456789abcdef01234567").toString("base64");
    const body = JSON.stringify({ id: "evt_1", type: "loyalty.redemption.applied", data: { object: {} }, livemode: false, created: 1 });
    const headers = signWebhook([secret], "evt_1", new Date(), body);
    expect(client.webhooks.verify(body, headers as unknown as Record<string, string>, secret).id).toBe("evt_1");
    expect(() => client.webhooks.verify(body.replace("applied", "released"), headers as unknown as Record<string, string>, secret)).toThrow(/verification failed/);
  });
});
