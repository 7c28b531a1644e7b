import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createMerchant } from "../../src/domain/merchants/merchants.js";
import { ACTIVITY_PAGE_SIZE } from "../../src/http/console/pages/other.js";
import { openConsoleBrowser, type ConsoleBrowser } from "../helpers/console-browser.js";
import { startHarness, type Harness } from "../helpers/harness.js";
import { listen } from "../helpers/listen.js";

/**
 * The Activity page pages through console_actions newest first, by its "Older" links: every action of
 * the merchant in this mode exactly once, in order, and nothing of the other mode or another merchant.
 */
let h: Harness;
let server: Awaited<ReturnType<typeof listen>>;
let b: ConsoleBrowser;

beforeAll(async () => {
  h = await startHarness({}, { workers: false });
  server = await listen(h.app.fetch);
  b = await openConsoleBrowser();
});
afterAll(async () => {
  await b?.close();
  await server?.close();
  await h?.close();
});

describe("console activity", () => {
  test("more than two pages of actions: Older links walk them all once, newest first; Newest goes back", async () => {
    const db = h.deps.db;
    const other = await createMerchant(db, "Other merchant");
    // Interleaved (seq order) with rows that must not show: the other mode's, another merchant's.
    const rows = [];
    for (let i = 0; i < 2 * ACTIVITY_PAGE_SIZE + 20; i++) {
      for (const [merchant_id, livemode, prefix] of [[h.merchant.merchant, false, "mine"], [h.merchant.merchant, true, "live"], [other.merchant, false, "other"]] as const) {
        if (prefix !== "mine" && i % 10 !== 0) continue;
        rows.push({ id: `cact_${prefix}_${String(i).padStart(4, "0")}`, merchant_id, livemode, session_id: "cs_seeded", key_last4: "seed", action: "test.seeded", target: `${prefix}_${i}`, detail: JSON.stringify({ i }), outcome: "succeeded" });
      }
    }
    await db.insertInto("console_actions").values(rows).execute();

    const { page, check, signIn } = b;
    await signIn(server.url, h.merchant.secret_key_test);
    // What the pages must show, together: the merchant's test-mode actions (the seeded ones and the sign-in), newest first.
    const expected = (await db.selectFrom("console_actions").select("id").where("merchant_id", "=", h.merchant.merchant).where("livemode", "=", false).orderBy("seq", "desc").execute()).map((r) => r.id);
    expect(expected.length).toBe(2 * ACTIVITY_PAGE_SIZE + 21);

    await page.goto(`${server.url}/console/activity`);
    const ids = () => page.locator("[data-testid=activity] tr[data-id]").evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-id")!));
    const older = page.locator("main a", { hasText: "Older" });
    const newest = page.locator("main a", { hasText: "Newest" });
    const pages: string[][] = [await ids()];
    expect(await newest.count()).toBe(0);
    expect(await page.getByTestId("activity").innerText()).toContain("session.sign_in");
    while ((await older.count()) > 0) {
      expect(pages.length, "too many pages").toBeLessThan(10);
      await Promise.all([page.waitForURL(/\/console\/activity\?before=\d+$/), older.click()]);
      pages.push(await ids());
      expect(await newest.count()).toBe(1);
      if (pages.length === 2) await check("activity-page-2");
    }
    expect(pages.map((p) => p.length)).toEqual([ACTIVITY_PAGE_SIZE, ACTIVITY_PAGE_SIZE, 21]);
    expect(pages.flat()).toEqual(expected);
    expect(pages.flat().some((id) => /^cact_(live|other)_/.test(id))).toBe(false);
    await check("activity-last-page");

    await Promise.all([page.waitForURL(/\/console\/activity$/), newest.click()]);
    expect(await ids()).toEqual(pages[0]);
  });
});
