import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createAccount, createReward } from "../helpers/factories.js";
import { startHarness, type Harness } from "../helpers/harness.js";
import { listen } from "../helpers/listen.js";
import { Receiver, waitFor } from "../helpers/receiver.js";
import { newTenant, redeem, registerEndpoint, settledDelivery, WEBHOOK_TEST_CONFIG } from "../helpers/webhooks.js";

/**
 * The merchant console as a person uses it: Debian's chromium (playwright-core) against the real app on
 * a port, with workers and local webhook receivers. Every page is checked with axe-core (no serious or
 * critical violations) and photographed under test-results/console/.
 */
const CHROMIUM = "/usr/bin/chromium";
const AXE = createRequire(import.meta.url).resolve("axe-core/axe.min.js");
const SHOTS = "test-results/console";

let h: Harness;
let server: Awaited<ReturnType<typeof listen>>;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let good: Receiver;
let bad: Receiver;
const report: { page: string; screenshot: string; serious: number; critical: number; violations: number }[] = [];

beforeAll(async () => {
  expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`).toBe(true);
  mkdirSync(SHOTS, { recursive: true });
  h = await startHarness(WEBHOOK_TEST_CONFIG);
  server = await listen(h.app.fetch);
  good = await Receiver.start();
  bad = await Receiver.start();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  // The console's CSP allows no script at all; axe is injected by the test, so the test bypasses it.
  context = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
});
afterAll(async () => {
  console.log(JSON.stringify({ console_pages: report }));
  await browser?.close();
  await server?.close();
  await good?.close();
  await bad?.close();
  await h?.close();
});

const url = (path: string) => `${server.url}${path}`;

/** axe-core on the page as rendered; screenshot; no serious or critical violation allowed. */
async function check(name: string): Promise<void> {
  await page.addScriptTag({ path: AXE });
  const result = (await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run: () => Promise<{ violations: { id: string; impact: string | null; nodes: { target: unknown }[] }[] }> } }).axe;
    return axe.run();
  })) as { violations: { id: string; impact: string | null; nodes: { target: unknown }[] }[] };
  const screenshot = `${SHOTS}/${name}.png`;
  await page.screenshot({ path: screenshot, fullPage: true });
  const serious = result.violations.filter((v) => v.impact === "serious");
  const critical = result.violations.filter((v) => v.impact === "critical");
  report.push({ page: name, screenshot, serious: serious.length, critical: critical.length, violations: result.violations.length });
  expect([...serious, ...critical].map((v) => `${v.id}: ${JSON.stringify(v.nodes.map((n) => n.target))}`), `axe on ${name}`).toEqual([]);
}

async function signIn(p: Page, key: string) {
  await p.goto(url("/console/sign-in"));
  await p.fill("#key", key);
  await Promise.all([p.waitForURL(/\/console\/members/), p.click("main button[type=submit]")]);
}

describe("merchant console in a real browser", () => {
  const key = () => h.merchant.secret_key_test;
  let goodEndpoint: { id: string; secret: string };
  let badEndpoint: { id: string; secret: string };
  let account: { id: string };
  let redemption: string;
  let creditEvent: string;
  let pendingRedemption: string;
  let badEvents: string[];

  beforeAll(async () => {
    goodEndpoint = await registerEndpoint(h, key(), good);
    bad.reply = () => ({ status: 500 });
    badEndpoint = await registerEndpoint(h, key(), bad);
    account = await createAccount(h, 5000);
    const reward = await createReward(h, "store_credit");
    const res = await h.api("POST", "/v1/loyalty/redemptions", { body: { account: account.id, reward: reward.id }, idempotencyKey: randomUUID() });
    expect(res.status, res.text).toBe(201);
    redemption = res.body.id;
    creditEvent = (await h.deps.db.selectFrom("events").select("id").where("redemption_id", "=", redemption).executeTakeFirstOrThrow()).id;
    const discount = await createReward(h, "discount_amount");
    const pending = await h.api("POST", "/v1/loyalty/redemptions", { body: { account: account.id, reward: discount.id }, idempotencyKey: randomUUID() });
    pendingRedemption = pending.body.id;
    expect((await settledDelivery(h, creditEvent, goodEndpoint.id)).status).toBe("succeeded");
    expect((await settledDelivery(h, creditEvent, badEndpoint.id)).status).toBe("failed");
    const pendingEvent = (await h.deps.db.selectFrom("events").select("id").where("redemption_id", "=", pendingRedemption).executeTakeFirstOrThrow()).id;
    expect((await settledDelivery(h, pendingEvent, badEndpoint.id)).status).toBe("failed");
    badEvents = [creditEvent, pendingEvent];
  });

  test("signed out, every page leads to sign-in; a wrong key is refused; the key signs in, with a TEST badge", async () => {
    await page.goto(url("/console/members"));
    expect(new URL(page.url()).pathname).toBe("/console/sign-in");
    await check("sign-in");
    await page.fill("#key", "sk_test_notarealkey0000000000000");
    const refused = await Promise.all([page.waitForResponse((r) => r.url().endsWith("/console/sign-in") && r.request().method() === "POST"), page.click("main button[type=submit]")]);
    expect(refused[0].status()).toBe(401);
    expect(await page.locator("[role=alert]").innerText()).toContain("not accepted");

    await signIn(page, key());
    expect(await page.locator(".badge").innerText()).toBe("TEST");
    const cookie = (await context.cookies()).find((c) => c.name === "lr_console")!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Strict", path: "/console", secure: false });
    expect(await page.content()).not.toContain(key());
    const sessions = await h.deps.db.selectFrom("console_sessions").selectAll().execute();
    expect(sessions).toHaveLength(1);
    expect(sessions[0]).toMatchObject({ merchant_id: h.merchant.merchant, livemode: false, key_last4: key().slice(-4) });
    expect(JSON.stringify(sessions)).not.toContain(cookie.value);
    await check("members");
  });

  test("find a member by customer and see balance, ledger and redemptions", async () => {
    const customer = (await h.api("GET", `/v1/loyalty/accounts/${account.id}`)).body.customer as string;
    await page.goto(url("/console/members"));
    await page.fill("#q", customer);
    await page.click("main button[type=submit]");
    await page.click(`a[href="/console/members/${account.id}"]`);
    const balance = (await h.api("GET", `/v1/loyalty/accounts/${account.id}`)).body.balance as number;
    expect(await page.getByTestId("balance").innerText()).toBe(String(balance));
    expect(await page.locator(`a[href="/console/redemptions/${redemption}"]`).count()).toBeGreaterThan(0);
    await check("member");
  });

  test("a redemption's page shows its artifact and timeline with the delivered webhook; reverse through the confirmation credits the points back", async () => {
    await page.goto(url(`/console/redemptions/${redemption}`));
    const timeline = await page.getByTestId("timeline").innerText();
    expect(timeline).toContain("loyalty.redemption.created");
    expect(timeline).toContain(good.url());
    expect(timeline).toMatch(/succeeded/);
    expect(timeline).toMatch(/#1: 200/);
    expect(timeline).toMatch(/#1: 500/);
    await check("redemption");

    const before = (await h.api("GET", `/v1/loyalty/accounts/${account.id}`)).body.balance as number;
    await page.click(`a[href="/console/redemptions/${redemption}/reverse"]`);
    await page.selectOption("#reason", "item_returned");
    await check("redemption-reverse-confirm");
    await Promise.all([page.waitForURL(/done=reversed/), page.click("main button[type=submit]")]);
    expect(await page.getByTestId("status").innerText()).toBe("reversed");
    expect(await page.locator("[role=status]").innerText()).toContain("credited back");
    const row = await h.deps.db.selectFrom("redemptions").select(["status", "points"]).where("id", "=", redemption).executeTakeFirstOrThrow();
    expect(row.status).toBe("reversed");

    await page.click(`a[href="/console/members/${account.id}"]`);
    expect(await page.getByTestId("balance").innerText()).toBe(String(before + row.points));
    expect(await page.locator("#ledger ~ .scroll").first().innerText()).toContain(`reversal\t+${row.points}`);

    // The reverse went through the API's path: one idempotency row with the form's key, run by a worker.
    const requests = await h.deps.db.selectFrom("idempotency_keys").select(["key", "operation", "status"]).where("path", "=", `/console/redemptions/${redemption}/reverse`).execute();
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ operation: "redemption.reverse", status: "completed" });

    // Reversing again: the API's refusal, readable.
    await page.goto(url(`/console/redemptions/${redemption}/reverse`));
    const refused = await Promise.all([page.waitForResponse((r) => r.request().method() === "POST"), page.click("main button[type=submit]")]);
    expect(refused[0].status()).toBe(422);
    expect(await page.locator("[role=alert]").innerText()).toContain("invalid_state_transition");
  });

  test("an endpoint whose receiver failed shows the failures in its chart and log; recover redelivers them, verified by the receiver", async () => {
    await page.goto(url("/console/webhooks"));
    await check("webhooks");
    await page.goto(url(`/console/webhooks/${badEndpoint.id}`));
    const failed = await page.locator(`svg[data-testid=chart] rect[data-failed]`).evaluateAll((rects) => rects.reduce((sum, r) => sum + Number(r.getAttribute("data-failed")), 0));
    const attempts = await h.deps.db.selectFrom("webhook_attempts").select("id").where("endpoint_id", "=", badEndpoint.id).execute();
    expect(failed).toBe(attempts.length);
    expect(failed).toBeGreaterThanOrEqual(8);
    expect(await page.getByTestId("attempts").innerText()).toContain("500");
    expect(await page.getByTestId("rate").innerText()).toContain("0%");
    await check("webhook-endpoint");

    bad.reply = () => ({ status: 200 });
    const receivedBefore = bad.received.length;
    await page.click("form[action$='/recover'] button[type=submit]");
    // Every event the endpoint failed to get (the reversal's too), each once.
    const failedEvents = [...new Set((await h.deps.db.selectFrom("webhook_deliveries").select("event_id").where("endpoint_id", "=", badEndpoint.id).where("status", "=", "failed").execute()).map((r) => r.event_id))];
    for (const event of badEvents) expect(failedEvents).toContain(event);
    expect(await page.getByTestId("candidates").innerText()).toBe(String(failedEvents.length));
    await check("webhook-recover-confirm");
    await Promise.all([page.waitForURL(new RegExp(`recovered=${failedEvents.length}`)), page.click("main button[type=submit]")]);
    expect(await waitFor(() => bad.received.length === receivedBefore + failedEvents.length)).toBe(true);
    const recovered = bad.received.slice(receivedBefore);
    expect(recovered.map((r) => r.headers["webhook-id"]).sort()).toEqual([...failedEvents].sort());
    await page.goto(url(`/console/webhooks/${badEndpoint.id}`));
    expect(await page.getByTestId("attempts").innerText()).toContain("200");
    for (const delivery of recovered) expect(delivery.verifiedWith).toEqual([badEndpoint.secret]);
  });

  test("resend one event to an endpoint", async () => {
    const receivedBefore = good.received.length;
    await page.goto(url(`/console/webhooks/${goodEndpoint.id}/resend?event=${creditEvent}`));
    await Promise.all([page.waitForURL(/resent=1/), page.click("main button[type=submit]")]);
    expect(await waitFor(() => good.received.length === receivedBefore + 1)).toBe(true);
    expect(good.received.at(-1)!.headers["webhook-id"]).toBe(creditEvent);
  });

  test("a form posted without the CSRF token is refused with 403 and changes nothing", async () => {
    const actionsBefore = await h.deps.db.selectFrom("console_actions").select("id").execute();
    const response = await page.request.post(url(`/console/redemptions/${pendingRedemption}/release`), { form: { idempotency_key: `console_${"a".repeat(24)}` }, maxRedirects: 0 });
    expect(response.status()).toBe(403);
    const wrong = await page.request.post(url(`/console/redemptions/${pendingRedemption}/release`), { form: { _csrf: "forged", idempotency_key: `console_${"b".repeat(24)}` }, maxRedirects: 0 });
    expect(wrong.status()).toBe(403);
    const row = await h.deps.db.selectFrom("redemptions").select("status").where("id", "=", pendingRedemption).executeTakeFirstOrThrow();
    expect(row.status).toBe("pending");
    expect(await h.deps.db.selectFrom("idempotency_keys").select("id").where("path", "like", "/console/%/release").execute()).toEqual([]);
    expect(await h.deps.db.selectFrom("console_actions").select("id").execute()).toHaveLength(actionsBefore.length);
  });

  test("another merchant's ids, and the other mode's, are not found", async () => {
    const other = await newTenant(h);
    const foreign = await redeem(h, other.secret_key_test);
    const foreignAccount = await createAccount(h, 0, other.secret_key_test);
    const live = await redeem(h, h.merchant.secret_key_live);
    for (const path of [`/console/redemptions/${foreign.redemption}`, `/console/redemptions/${live.redemption}`, `/console/members/${foreignAccount.id}`, `/console/redemptions/${foreign.redemption}/reverse`]) {
      const response = await page.goto(url(path));
      expect(response?.status(), path).toBe(404);
      expect(await page.locator("[role=alert]").innerText()).toContain("Not found");
    }
    const response = await page.request.post(url(`/console/redemptions/${foreign.redemption}/release`), { form: { _csrf: "x" }, maxRedirects: 0 });
    expect(response.status()).toBe(403);
    await check("not-found");
  });

  test("redemptions list with filters, inbound, rewards (deactivate through the API's update), activity", async () => {
    await page.goto(url(`/console/redemptions?status=reversed`));
    expect(await page.locator(`a[href="/console/redemptions/${redemption}"]`).count()).toBe(1);
    expect(await page.locator(`a[href="/console/redemptions/${pendingRedemption}"]`).count()).toBe(0);
    await check("redemptions");
    await page.goto(url("/console/inbound"));
    await check("inbound");
    await page.goto(url("/console/rewards"));
    await check("rewards");
    await page.locator("a", { hasText: "Deactivate" }).first().click();
    await Promise.all([page.waitForURL(/\/console\/rewards\?done=1/), page.click("main button[type=submit]")]);
    const inactive = await h.deps.db.selectFrom("rewards").select("id").where("merchant_id", "=", h.merchant.merchant).where("active", "=", false).execute();
    expect(inactive).toHaveLength(1);
    await page.goto(url("/console/activity"));
    const activity = await page.getByTestId("activity").innerText();
    for (const action of ["session.sign_in", "redemption.reverse", "webhook_endpoint.recover", "event.redeliver", "reward.deactivate"]) expect(activity).toContain(action);
    expect(activity).toContain(`…${key().slice(-4)}`);
    expect(activity).toContain("invalid_state_transition");
    await check("activity");
  });

  test("on a phone-sized screen the pages still fit", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(url(`/console/webhooks/${badEndpoint.id}`));
    const overflow = await page.evaluate(() => {
      const root = (globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }).document.documentElement;
      return root.scrollWidth - root.clientWidth;
    });
    expect(overflow).toBeLessThanOrEqual(0);
    await check("webhook-endpoint-phone");
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  test("sign-out deletes the session; pages then redirect to sign-in", async () => {
    await page.goto(url("/console/members"));
    await Promise.all([page.waitForURL(/\/console\/sign-in/), page.click("header button[type=submit]")]);
    expect(await h.deps.db.selectFrom("console_sessions").select("id").execute()).toEqual([]);
    for (const path of ["/console/members", `/console/redemptions/${redemption}`, "/console/webhooks"]) {
      await page.goto(url(path));
      expect(new URL(page.url()).pathname).toBe("/console/sign-in");
    }
  });
});
