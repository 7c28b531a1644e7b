import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startHarness, type Harness } from "../helpers/harness.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness({}, { workers: false });
});
afterAll(async () => h?.close());

/** This file never creates an account: every write it makes must be refused without a trace. */
const accountCount = async () =>
  Number((await h.deps.db.selectFrom("loyalty_accounts").select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow()).n);

const expectError = (res: { status: number; body: any; headers: Headers }, status: number, code: string, param?: string) => {
  expect(res.status).toBe(status);
  expect(res.body.error).toMatchObject({ code, ...(param ? { param } : {}) });
  expect(res.body.error.request_id).toBe(res.headers.get("request-id"));
  expect(typeof res.body.error.message).toBe("string");
};

describe("authentication", () => {
  test("no key → 401 api_key_missing", async () => {
    expectError(await h.api("GET", "/v1/loyalty/accounts", { key: null }), 401, "api_key_missing");
  });
  test("unknown or malformed key → 401 api_key_invalid", async () => {
    expectError(await h.api("GET", "/v1/loyalty/accounts", { key: "sk_test_doesnotexistdoesnotexist" }), 401, "api_key_invalid");
    expectError(await h.api("GET", "/v1/loyalty/accounts", { key: "pk_nope" }), 401, "api_key_invalid");
  });
  test("X-Api-Key works as well as Bearer", async () => {
    const res = await h.api("GET", "/v1/loyalty/accounts", { key: null, headers: { "x-api-key": h.merchant.secret_key_test } });
    expect(res.status).toBe(200);
  });
  test("keys are stored hashed, never in clear", async () => {
    const rows = await h.deps.db.selectFrom("api_keys").selectAll().where("merchant_id", "=", h.merchant.merchant).execute();
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect(row.key_hash).toMatch(/^[0-9a-f]{64}$/);
      expect([h.merchant.secret_key_test, h.merchant.secret_key_live]).not.toContain(row.key_hash);
    }
  });
});

describe("conventions", () => {
  test("every response carries a Request-Id, errors included", async () => {
    for (const res of [await h.api("GET", "/healthz"), await h.api("GET", "/v1/nope"), await h.api("GET", "/v1/loyalty/accounts")]) {
      expect(res.headers.get("request-id")).toMatch(/^req_[A-Za-z0-9]{24}$/);
    }
  });
  test("unknown route → 404 resource_missing", async () => {
    expectError(await h.api("GET", "/v1/nope"), 404, "resource_missing");
  });
  test("malformed JSON → 400 body_invalid, and nothing is written", async () => {
    expectError(await h.api("POST", "/v1/loyalty/accounts", { rawBody: "{not json" }), 400, "body_invalid");
    expectError(await h.api("POST", "/v1/loyalty/accounts", { rawBody: "[1,2]" }), 400, "body_invalid");
    const count = await h.deps.db.selectFrom("loyalty_accounts").select((eb) => eb.fn.countAll().as("n")).executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(0);
  });
  test("a body over 64 KiB → 413 body_too_large", async () => {
    const res = await h.api("POST", "/v1/loyalty/accounts", { body: { metadata: { big: "x".repeat(70 * 1024) } } });
    expectError(res, 413, "body_too_large");
    expect(await accountCount()).toBe(0);
  });
  test("missing and invalid parameters name the param", async () => {
    expectError(await h.api("POST", "/v1/loyalty/transactions", { body: { amount: 5, reason: "x" } }), 400, "parameter_missing", "account");
    expectError(await h.api("POST", "/v1/loyalty/transactions", { body: { account: "loy_x", amount: 0, reason: "x" } }), 400, "parameter_invalid", "amount");
    expectError(await h.api("POST", "/v1/loyalty/accounts", { body: { colour: "blue" } }), 400, "parameter_invalid", "colour");
    expectError(await h.api("GET", "/v1/loyalty/accounts?limit=101"), 400, "parameter_invalid", "limit");
  });
  test("starting_after and ending_before together → 400", async () => {
    expectError(await h.api("GET", "/v1/loyalty/accounts?starting_after=loy_a&ending_before=loy_b"), 400, "parameter_invalid", "ending_before");
  });
  test("an Idempotency-Key that is not 1–255 printable ASCII → 400", async () => {
    expectError(await h.api("POST", "/v1/loyalty/accounts", { body: {}, idempotencyKey: "x".repeat(256) }), 400, "parameter_invalid", "Idempotency-Key");
    expect(await accountCount()).toBe(0);
  });
  test("/healthz and /readyz", async () => {
    expect((await h.api("GET", "/healthz")).status).toBe(200);
    const ready = await h.api("GET", "/readyz");
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: "ok", postgres: "ok", redis: "ok" });
  });
  test("/openapi.json documents every /v1 route", async () => {
    const res = await h.api("GET", "/openapi.json");
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe("3.1.0");
    const documented = Object.entries(res.body.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ":$1")}`),
    );
    const registered = h.app.routes
      .filter((route) => route.path.startsWith("/v1/") && route.method !== "ALL")
      .map((route) => `${route.method} ${route.path}`);
    expect(registered.length).toBeGreaterThan(10);
    for (const route of registered) expect(documented).toContain(route);
  });
});
