import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { MAX_POINTS } from "../../src/domain/ledger/ledger.js";
import { signWebhook } from "../../src/webhooks/standard-webhooks.js";
import { createAccount, createReward, SHIPPING } from "../helpers/factories.js";
import { startHarness, type Harness } from "../helpers/harness.js";
import { listen } from "../helpers/listen.js";
import { HOSTILE_CASES_PART_ONE, type Fixtures, type HostileCase } from "./hostile-input.cases.js";
import { HOSTILE_CASES_PART_TWO } from "./hostile-input.numbers.js";

/**
 * Every hostile input is refused with its 4xx and code, and writes nothing. Sent over a real socket, so
 * bytes arrive exactly as written (app.request would re-encode strings). Each case compares a digest of
 * every row of the main tables before and after, which covers row counts, balances and inventories.
 */
const CASES = [...HOSTILE_CASES_PART_ONE, ...HOSTILE_CASES_PART_TWO];
const TABLES = [
  "loyalty_accounts",
  "points_transactions",
  "rewards",
  "redemptions",
  "idempotency_keys",
  "inbound_webhooks",
  "webhook_endpoints",
  "webhook_deliveries",
  "events",
  "test_payments",
] as const;

let h: Harness;
let server: { url: string; close: () => Promise<void> };
let f: Fixtures;
const tally = { cases: 0, status4xx: 0, status5xx: 0, storedOnRefusal: 0 };

beforeAll(async () => {
  h = await startHarness({ WEBHOOK_ALLOW_HOSTS: "127.0.0.1", REDEMPTION_PENDING_TTL_SECONDS: "86400" });
  server = await listen(h.app.fetch);
  const account = await createAccount(h, 100_000);
  const reward = await createReward(h, "free_product", { inventory: 50 });
  const created = await h.api("POST", "/v1/loyalty/redemptions", { body: { account: account.id, reward: reward.id, shipping: SHIPPING }, idempotencyKey: randomUUID() });
  expect(created.status, created.text).toBe(201);
  const endpoint = await h.api("POST", "/v1/webhook-endpoints", { body: { url: "http://127.0.0.1:9/", enabled_events: ["*"] } });
  expect(endpoint.status, endpoint.text).toBe(201);
  const event = await h.deps.db.selectFrom("events").select("id").where("redemption_id", "=", created.body.id).executeTakeFirstOrThrow();
  f = {
    account: account.id,
    rich: await nearTheLimit(MAX_POINTS - 500_000_000_000, MAX_POINTS - 500_000_000_000),
    veteran: await nearTheLimit(1_000, MAX_POINTS - 500_000_000_000),
    reward: reward.id,
    redemption: created.body.id,
    endpoint: endpoint.body.id,
    event: event.id,
    merchant: h.merchant.merchant,
  };
  // Nothing may change the tables but the cases: no expiry, relay or delivery runs meanwhile.
  await h.stopWorkers();
});
afterAll(async () => {
  console.log(
    `hostile input: ${tally.cases} cases, ${tally.status4xx} answered 4xx, ${tally.status5xx} answered 5xx, ${tally.storedOnRefusal} stored something on refusal`,
  );
  await server?.close();
  await h?.close();
});

/**
 * An account whose lifetime points (and balance) sit near MAX_POINTS, written straight to the ledger:
 * reaching it through the API would take 9,007 awards of the largest amount. Ledger-consistent.
 */
async function nearTheLimit(balance: number, lifetime: number): Promise<string> {
  const { id } = await createAccount(h);
  const { merchant } = h.merchant;
  const entries = [{ type: "earn" as const, amount: lifetime, after: lifetime }];
  if (balance < lifetime) entries.push({ type: "adjustment" as const, amount: balance - lifetime, after: balance } as never);
  for (const [i, e] of entries.entries()) {
    await h.deps.db
      .insertInto("points_transactions")
      .values({ id: `ptx_near${i}${randomUUID().replaceAll("-", "").slice(0, 16)}`, merchant_id: merchant, livemode: false, account_id: id, type: e.type, amount: e.amount, balance_after: e.after, reason: "seed", redemption_id: null, metadata: "{}" })
      .execute();
  }
  await h.deps.db.updateTable("loyalty_accounts").set({ balance, lifetime_points: lifetime }).where("id", "=", id).execute();
  return id;
}

async function snapshot(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const table of TABLES) {
    const row = await sql<{ n: number; digest: string }>`SELECT count(*)::int AS n, md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) AS digest FROM ${sql.table(table)} t`
      .execute(h.deps.db)
      .then((r) => r.rows[0]!);
    out[table] = `${row.n}:${row.digest}`;
  }
  return out;
}

async function send(c: HostileCase): Promise<{ status: number; body: any; text: string }> {
  const headers: Record<string, string> = { ...(c.noKey ? {} : { Authorization: `Bearer ${h.merchant.secret_key_test}` }), ...c.headers };
  let body: string | Buffer | undefined = c.raw;
  if (c.body) {
    body = JSON.stringify(c.body(f));
    headers["Content-Type"] ??= "application/json";
  }
  if (c.sign) {
    Object.assign(headers, signWebhook([h.merchant.inbound_secrets.payments], `msg_${randomUUID()}`, new Date(), String(body)), { "Content-Type": "application/json" });
  }
  const path = typeof c.path === "function" ? c.path(f) : c.path;
  const response = await fetch(`${server.url}${path}`, { method: c.method, headers, ...(body === undefined ? {} : { body }) });
  const text = await response.text();
  let parsed: any = null;
  try {
    parsed = JSON.parse(text);
  } catch {}
  return { status: response.status, body: parsed, text };
}

describe("hostile input is refused with a 4xx and writes nothing", () => {
  test("the table has at least 150 cases with distinct names", () => {
    expect(CASES.length).toBeGreaterThanOrEqual(150);
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
  });

  test.each(CASES.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const before = await snapshot();
    const res = await send(c);
    const after = await snapshot();
    tally.cases += 1;
    if (res.status >= 400 && res.status < 500) tally.status4xx += 1;
    if (res.status >= 500) tally.status5xx += 1;
    if (JSON.stringify(before) !== JSON.stringify(after)) tally.storedOnRefusal += 1;

    expect(res.status, res.text).toBe(c.status);
    expect(res.body?.error?.code, res.text).toBe(c.code);
    if (c.param !== undefined) expect(res.body.error.param, res.text).toBe(c.param);
    expect(after).toEqual(before);
  });
});
