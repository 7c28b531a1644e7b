import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { APIConnectionError, APIError, AuthenticationError, Client, InvalidRequestError, NotFoundError, RateLimitError, WebhookVerificationError, type Redemption } from "@loyalty-redemptions/client";
import { signWebhook } from "../../src/webhooks/standard-webhooks.js";
import { startHarness, type Harness } from "../helpers/harness.js";
import { listen } from "../helpers/listen.js";
import { Receiver, waitFor } from "../helpers/receiver.js";
import { WEBHOOK_TEST_CONFIG } from "../helpers/webhooks.js";

let h: Harness;
let server: Awaited<ReturnType<typeof listen>>;
let client: Client;
beforeAll(async () => {
  h = await startHarness(WEBHOOK_TEST_CONFIG);
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
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(error).toMatchObject({ status: 404, type: "invalid_request_error", code: "resource_missing", requestId: expect.stringMatching(/^req_/) });
    const badKey = new Client({ secretKey: "sk_test_notarealkeynotarealkey", baseUrl: server.url });
    await expect(badKey.loyalty.accounts.list()).rejects.toBeInstanceOf(AuthenticationError);

    // A 422 is an InvalidRequestError, not a NotFoundError; its headers and param come along.
    const account = await client.loyalty.accounts.create({});
    const reward = await client.loyalty.rewards.create({ name: "pricey", type: "store_credit", cost: 10_000, value: { amount: 100, currency: "EUR" } });
    const refused = await client.loyalty.redemptions.create({ account: account.id, reward: reward.id }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(InvalidRequestError);
    expect(refused).not.toBeInstanceOf(NotFoundError);
    expect(refused).toMatchObject({ status: 422, code: "insufficient_points", requestId: expect.stringMatching(/^req_/) });
    expect((refused as InvalidRequestError).headers["request-id"]).toBe((refused as InvalidRequestError).requestId);
    const missing = await client.loyalty.transactions.create({ account: account.id, amount: 1 } as never).catch((e: unknown) => e);
    expect(missing).toMatchObject({ status: 400, code: "parameter_missing", param: "reason" });
  });

  test("every returned object carries lastResponse (request id, status, headers), hidden from JSON", async () => {
    const account = await client.loyalty.accounts.create({ customer: "cus_last" }, { idempotencyKey: "client-last-1" });
    expect(account.lastResponse).toMatchObject({ status: 201, requestId: expect.stringMatching(/^req_/), idempotentReplayed: false });
    expect(account.lastResponse.headers["content-type"]).toMatch(/application\/json/);
    expect(Object.keys(account)).not.toContain("lastResponse");
    expect(JSON.parse(JSON.stringify(account))).not.toHaveProperty("lastResponse");
    const replay = await client.loyalty.accounts.create({ customer: "cus_last" }, { idempotencyKey: "client-last-1" });
    expect(replay.id).toBe(account.id);
    expect(replay.lastResponse.idempotentReplayed).toBe(true);
    expect(replay.lastResponse.requestId).not.toBe(account.lastResponse.requestId);
    const page = await client.loyalty.accounts.list({ customer: "cus_last" });
    expect(page.lastResponse.status).toBe(200);
  });

  test("autoPagingToArray stops at its limit; ending_before walks towards newer objects", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await client.loyalty.accounts.create({ customer: "cus_autopage" })).id);
    const three = await client.loyalty.accounts.list({ customer: "cus_autopage", limit: 2 }).autoPagingToArray({ limit: 3 });
    expect(three.map((a) => a.id)).toEqual([ids[4], ids[3], ids[2]]);
    const newer: string[] = [];
    for await (const a of client.loyalty.accounts.list({ customer: "cus_autopage", limit: 1, ending_before: ids[1] })) newer.push(a.id);
    expect(new Set(newer)).toEqual(new Set([ids[2], ids[3], ids[4]]));
  });

  test("retries: 500 outcome_unknown and 429 are retried with the same key; 500 internal_error is not", async () => {
    const answers: Array<{ status: number; code: string; retryAfter?: string }> = [];
    const keys: string[] = [];
    const fake = await listen(async (request) => {
      keys.push(request.headers.get("idempotency-key") ?? "");
      const next = answers.shift();
      if (!next) return h.app.fetch(request);
      const type = next.status === 429 ? "rate_limit_error" : "api_error";
      return new Response(JSON.stringify({ error: { type, code: next.code, message: "x", request_id: "req_fake" } }), {
        status: next.status,
        headers: { "content-type": "application/json", "request-id": "req_fake", ...(next.retryAfter ? { "retry-after": next.retryAfter } : {}) },
      });
    });
    try {
      const sdk = new Client({ secretKey: h.merchant.secret_key_test, baseUrl: fake.url, maxRetries: 2 });
      answers.push({ status: 500, code: "outcome_unknown", retryAfter: "0" }, { status: 429, code: "rate_limited", retryAfter: "0" });
      const account = await sdk.loyalty.accounts.create({}, { idempotencyKey: "client-retry-1" });
      expect(account.id).toMatch(/^loy_/);
      expect(keys).toEqual(["client-retry-1", "client-retry-1", "client-retry-1"]);

      keys.length = 0;
      answers.push({ status: 500, code: "internal_error" });
      const fault = await sdk.loyalty.accounts.create({}).catch((e: unknown) => e);
      expect(fault).toBeInstanceOf(APIError);
      expect(fault).toMatchObject({ status: 500, code: "internal_error", requestId: "req_fake" });
      expect(keys).toHaveLength(1);

      keys.length = 0;
      answers.push(...Array.from({ length: 3 }, () => ({ status: 429, code: "rate_limited", retryAfter: "0" })));
      const limited = await sdk.loyalty.accounts.list().catch((e: unknown) => e);
      expect(limited).toBeInstanceOf(RateLimitError);
      expect((limited as RateLimitError).retryAfter).toBe(0);
      expect(keys).toEqual(["", "", ""]); // GETs carry no key
    } finally {
      await fake.close();
    }
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
      expect(seenKeys[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(seenKeys[1]).toBe(seenKeys[0]);
      const stored = await h.deps.db.selectFrom("loyalty_accounts").select("id").where("customer", "=", "cus_flaky").execute();
      expect(stored).toHaveLength(1);
    } finally {
      await flaky.close();
    }
  });

  test("a server that cannot be reached → APIConnectionError after the retries", async () => {
    const closed = await listen(() => new Response("x"));
    await closed.close();
    const unreachable = new Client({ secretKey: h.merchant.secret_key_test, baseUrl: closed.url, maxRetries: 1 });
    await expect(unreachable.loyalty.accounts.list()).rejects.toBeInstanceOf(APIConnectionError);
  });

  test("webhooks.verify accepts a signed body and refuses a tampered one", () => {
    const secret = "whsec_" + Buffer.from("0123456789abcdef01234567").toString("base64");
    const body = JSON.stringify({ id: "evt_1", type: "loyalty.redemption.applied", data: { object: {} }, livemode: false, created: 1 });
    const headers = signWebhook([secret], "evt_1", new Date(), body);
    expect(client.webhooks.verify(body, headers as unknown as Record<string, string>, secret).id).toBe("evt_1");
    expect(() => client.webhooks.verify(body.replace("applied", "released"), headers as unknown as Record<string, string>, secret)).toThrow(WebhookVerificationError);
    expect(() => client.webhooks.verify(body, {}, secret)).toThrow(/Missing webhook-id/);
  });

  test("redemptions: fulfill, reverse and release", async () => {
    const account = await client.loyalty.accounts.create({});
    await client.loyalty.transactions.create({ account: account.id, amount: 5000, reason: "welcome" });
    const item = await client.loyalty.rewards.create({ name: "Tote", type: "free_product", cost: 1000, value: { product: "tote" } });
    const discount = await client.loyalty.rewards.create({ name: "5 off", type: "discount_amount", cost: 500, value: { amount: 500, currency: "EUR" } });
    const shipping = { name: "Mira Olsen", line1: "Storgata 12", city: "Oslo", postal_code: "0155", country: "NO" };

    const shipped = await client.loyalty.redemptions.create({ account: account.id, reward: item.id, shipping });
    const fulfilled = await client.loyalty.redemptions.fulfill(shipped.id, { tracking: "TRK1", carrier: "posten" });
    expect(fulfilled).toMatchObject({ status: "fulfilled", fulfillment: { tracking: "TRK1", carrier: "posten" } });
    const reversed = await client.loyalty.redemptions.reverse(shipped.id, { reason: "item_returned" });
    expect(reversed).toMatchObject({ status: "reversed", reversal: { reason: "item_returned" } });

    const pending = await client.loyalty.redemptions.create({ account: account.id, reward: discount.id });
    expect((await client.loyalty.redemptions.release(pending.id)).status).toBe("released");
    expect((await client.loyalty.accounts.retrieve(account.id)).balance).toBe(5000);
    const refused = await client.loyalty.redemptions.release(pending.id).catch((e: unknown) => e);
    expect(refused).toMatchObject({ status: 422, code: "invalid_state_transition" });
  });

  test("webhook endpoints and events: create, retrieve, list, update, rotate, attempts, redeliver, delete", async () => {
    const receiver = await Receiver.start();
    try {
      const endpoint = await client.webhookEndpoints.create({ url: receiver.url(), enabled_events: ["*"], description: "client test" });
      expect(endpoint.secret).toMatch(/^whsec_/);
      receiver.secrets = [endpoint.secret];
      expect((await client.webhookEndpoints.retrieve(endpoint.id)).url).toBe(receiver.url());
      expect((await client.webhookEndpoints.list()).data.map((e) => e.id)).toContain(endpoint.id);
      expect((await client.webhookEndpoints.update(endpoint.id, { description: "renamed" })).description).toBe("renamed");

      const account = await client.loyalty.accounts.create({});
      await client.loyalty.transactions.create({ account: account.id, amount: 1000, reason: "welcome" });
      const reward = await client.loyalty.rewards.create({ name: "credit", type: "store_credit", cost: 100, value: { amount: 100, currency: "EUR" } });
      const redemption = await client.loyalty.redemptions.create({ account: account.id, reward: reward.id });
      const events = await client.events.list({ type: "loyalty.redemption.created" });
      const created = events.data.find((event) => event.data.object.id === redemption.id)!;
      expect(created).toBeDefined();
      expect((await client.events.retrieve(created.id)).data.object.id).toBe(redemption.id);

      expect(await waitFor(() => receiver.received.some((r) => JSON.parse(r.body).id === created.id && r.verifiedWith.length === 1))).toBe(true);
      expect(await waitFor(async () => (await client.webhookEndpoints.listAttempts(endpoint.id, { event: created.id })).data.length === 1)).toBe(true);
      const [attempt] = (await client.webhookEndpoints.listAttempts(endpoint.id, { event: created.id })).data;
      expect(attempt).toMatchObject({ event: created.id, endpoint: endpoint.id, status_code: 200, error: null });

      const rotated = await client.webhookEndpoints.rotateSecret(endpoint.id);
      expect(rotated.secret).not.toBe(endpoint.secret);
      receiver.secrets = [rotated.secret];
      const redelivery = await client.events.redeliver(created.id, { endpoint: endpoint.id });
      expect(redelivery).toMatchObject({ object: "event_redelivery", event: created.id, endpoints: [endpoint.id] });
      // Signed with both secrets during the overlap: the new one verifies the redelivery.
      expect(await waitFor(() => receiver.received.filter((r) => JSON.parse(r.body).id === created.id && r.verifiedWith.length === 1).length === 2)).toBe(true);
      // Every delivery succeeded: recovering finds nothing to redeliver.
      const recovery = await client.webhookEndpoints.recover(endpoint.id, { since: 0 });
      expect(recovery).toMatchObject({ object: "webhook_recovery", endpoint: endpoint.id, count: 0, events: [], has_more: false });
      expect(recovery.lastResponse.status).toBe(200);

      expect(await client.webhookEndpoints.delete(endpoint.id)).toEqual({ id: endpoint.id, object: "webhook_endpoint", deleted: true });
      await expect(client.webhookEndpoints.retrieve(endpoint.id)).rejects.toMatchObject({ status: 404 });
    } finally {
      await receiver.close();
    }
  });

  test("testPayments: create applies the discount; expire releases a payment awaiting authentication", async () => {
    const account = await client.loyalty.accounts.create({});
    await client.loyalty.transactions.create({ account: account.id, amount: 1000, reason: "welcome" });
    const reward = await client.loyalty.rewards.create({ name: "5 off", type: "discount_amount", cost: 500, value: { amount: 500, currency: "EUR" } });
    const status = async (id: string, want: Redemption["status"]) =>
      waitFor(async () => (await client.loyalty.redemptions.retrieve(id)).status === want);

    const first = await client.loyalty.redemptions.create({ account: account.id, reward: reward.id });
    const payment = await client.testPayments.create({ amount: 2999, currency: "EUR", card: { number: "4242 4242 4242 4242" }, discounts: [{ redemption: first.id }] });
    expect(payment).toMatchObject({ object: "payment", amount_charged: 2499, status: "completed" });
    expect(await status(first.id, "applied")).toBe(true);

    const second = await client.loyalty.redemptions.create({ account: account.id, reward: reward.id });
    const waiting = await client.testPayments.create({ amount: 2999, currency: "EUR", card: { number: "4000000000003220" }, discounts: [{ redemption: second.id }] });
    expect(waiting.status).toBe("requires_authentication");
    expect((await client.testPayments.expire(waiting.id)).status).toBe("expired");
    expect(await status(second.id, "released")).toBe(true);
    expect((await client.loyalty.accounts.retrieve(account.id)).balance).toBe(500);

    const live = new Client({ secretKey: h.merchant.secret_key_live, baseUrl: server.url });
    await expect(live.testPayments.create({ amount: 100, currency: "EUR", card: { number: "4242424242424242" } })).rejects.toMatchObject({ status: 404 });
  });
});
