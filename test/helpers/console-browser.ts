import { existsSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { expect } from "vitest";

/**
 * Debian's chromium driven by playwright-core, for console tests that need a real browser: axe-core on
 * every page checked (no serious or critical violation), a full-page screenshot under
 * test-results/console/. The same setup as console-browser.test.ts.
 */
export const CHROMIUM = "/usr/bin/chromium";
const AXE = createRequire(import.meta.url).resolve("axe-core/axe.min.js");
export const SHOTS = "test-results/console";

export interface AxeReport {
  page: string;
  screenshot: string;
  serious: number;
  critical: number;
  violations: number;
}

export interface ConsoleBrowser {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  report: AxeReport[];
  check: (name: string) => Promise<AxeReport>;
  signIn: (baseUrl: string, key: string) => Promise<void>;
  close: () => Promise<void>;
}

export async function openConsoleBrowser(): Promise<ConsoleBrowser> {
  expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`).toBe(true);
  mkdirSync(SHOTS, { recursive: true });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  // The console's CSP allows no script at all; axe is injected by the test, so the test bypasses it.
  const context = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const report: AxeReport[] = [];

  async function check(name: string): Promise<AxeReport> {
    await page.addScriptTag({ path: AXE });
    const result = (await page.evaluate(async () => {
      const axe = (globalThis as unknown as { axe: { run: () => Promise<unknown> } }).axe;
      return axe.run();
    })) as { violations: { id: string; impact: string | null; nodes: { target: unknown }[] }[] };
    const screenshot = `${SHOTS}/${name}.png`;
    await page.screenshot({ path: screenshot, fullPage: true });
    const serious = result.violations.filter((v) => v.impact === "serious");
    const critical = result.violations.filter((v) => v.impact === "critical");
    const entry = { page: name, screenshot, serious: serious.length, critical: critical.length, violations: result.violations.length };
    report.push(entry);
    expect([...serious, ...critical].map((v) => `${v.id}: ${JSON.stringify(v.nodes.map((n) => n.target))}`), `axe on ${name}`).toEqual([]);
    return entry;
  }

  async function signIn(baseUrl: string, key: string): Promise<void> {
    await page.goto(`${baseUrl}/console/sign-in`);
    await page.fill("#key", key);
    await Promise.all([page.waitForURL(/\/console\/members/), page.click("main button[type=submit]")]);
  }

  return {
    browser,
    context,
    page,
    report,
    check,
    signIn,
    close: async () => {
      console.log(JSON.stringify({ console_pages: report }));
      await browser.close();
    },
  };
}
