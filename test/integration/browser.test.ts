import { existsSync, mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startHarness, type Harness } from "../helpers/harness.js";
import { listen } from "../helpers/listen.js";

/**
 * The operator pages as a person sees them: Debian's chromium, driven by playwright-core, against the
 * app on a real port. No skip when chromium is missing — `.ci/run` installs it, and a browser check that
 * quietly does not run checks nothing.
 */
const CHROMIUM = "/usr/bin/chromium";
const TOKEN = "browser-operator-token-0123";
let h: Harness;
let server: Awaited<ReturnType<typeof listen>>;
let browser: Browser;

beforeAll(async () => {
  expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`).toBe(true);
  h = await startHarness({ ADMIN_TOKEN: TOKEN }, { workers: false });
  server = await listen(h.app.fetch);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
  await h?.close();
});

describe("in a real browser", () => {
  test("/docs: the Scalar reference shows the Redemption's fields, an example and its error codes, with no request leaving the service", async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    // Offline: every request must go to this service (no CDN, no fonts, no telemetry). Others are refused and recorded.
    const elsewhere: string[] = [];
    await page.route("**/*", (route) => {
      if (route.request().url().startsWith(server.url)) return route.continue();
      elsewhere.push(route.request().url());
      return route.abort();
    });
    const response = await page.goto(`${server.url}/docs`);
    expect(response?.status()).toBe(200);
    await page.getByRole("heading", { name: "The redemption state machine" }).waitFor({ state: "visible", timeout: 20_000 });

    // The operation: open its tag in the sidebar, then the operation.
    await page.getByText("Redemptions", { exact: true }).first().click();
    await page.getByText("Spend points for a reward", { exact: false }).first().click();
    const operation = page.locator("[id='api-1/tag/redemptions/POST/v1/loyalty/redemptions']");
    await operation.waitFor({ state: "visible" });
    await operation.scrollIntoViewIfNeeded();

    // The 201 response expands into the Redemption's fields.
    await operation.getByRole("button", { name: /^201/ }).click();
    for (const field of ["points_transaction", "expires_at", "version", "fulfillment"]) {
      await operation.getByText(field, { exact: true }).first().waitFor({ state: "visible" });
    }
    // The example panel shows a redemption example.
    await operation.getByText('"object": "redemption"').first().waitFor({ state: "visible" });

    // The 422 response lists the operation's codes; its example is insufficient_points.
    await operation.getByRole("button", { name: /^422/ }).click();
    await operation.getByText("insufficient_points").first().waitFor({ state: "visible" });
    await operation.locator("button, [role=tab]").filter({ hasText: /status:\s*422/i }).first().click();
    await operation.getByText('"code": "insufficient_points"').first().waitFor({ state: "visible" });

    mkdirSync("test-results", { recursive: true });
    const screenshot = resolve("test-results/docs.png");
    await operation.scrollIntoViewIfNeeded();
    await page.screenshot({ path: screenshot, fullPage: false });
    console.log(`/docs screenshot: ${screenshot}`);
    expect(elsewhere).toEqual([]);
    await page.close();
  });

  test("/admin/queues: 401 without the token; with it (HTTP Basic) Bull Board shows the queues", async () => {
    // Without credentials Chromium cancels the Basic challenge (the navigation errors), so the answer is
    // read off the network as it arrived.
    const anonymous = await browser.newContext();
    const blank = await anonymous.newPage();
    const answered = blank.waitForResponse((r) => r.url() === `${server.url}/admin/queues`);
    await blank.goto(`${server.url}/admin/queues`).catch(() => null);
    const refused = await answered;
    expect(refused.status()).toBe(401);
    expect(refused.headers()["www-authenticate"]).toMatch(/^Basic /);
    await anonymous.close();

    const operator = await browser.newContext({ httpCredentials: { username: "ops", password: TOKEN } });
    const page = await operator.newPage();
    const response = await page.goto(`${server.url}/admin/queues`);
    expect(response?.status()).toBe(200);
    // A client-rendered app: the names appear only once its script has run and called the API.
    for (const name of ["{requests}", "{deliveries}"]) await page.getByText(name, { exact: true }).first().waitFor({ state: "visible", timeout: 20_000 });
    await operator.close();
  });
});
