import { existsSync } from "node:fs";
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
  test("/docs renders every operation, including the sandbox's", async () => {
    const page = await browser.newPage();
    const response = await page.goto(`${server.url}/docs`);
    expect(response?.status()).toBe(200);
    const heading = page.locator("section.op h3", { hasText: "/v1/test/payments" }).first();
    await heading.waitFor({ state: "visible" });
    expect(await heading.innerText()).toBe("POST /v1/test/payments");
    expect(await page.locator("h1").innerText()).toContain("API reference");

    const doc = (await h.api("GET", "/openapi.json", { key: null })).body as { paths: Record<string, object> };
    const operations = Object.values(doc.paths).reduce((sum, ops) => sum + Object.keys(ops).length, 0);
    expect(await page.locator("section.op").count()).toBe(operations);
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
