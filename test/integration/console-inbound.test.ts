import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { openConsoleBrowser, type ConsoleBrowser } from "../helpers/console-browser.js";
import { startHarness, type Harness } from "../helpers/harness.js";
import { processed, redeem, sendWebhook, snapshot } from "../helpers/lifecycle.js";
import { listen } from "../helpers/listen.js";

/**
 * The Inbound page and a redemption's timeline, fed by real signed inbound webhooks (the payment
 * provider's, signed with the merchant's inbound secret and processed by the workers): each webhook is
 * listed once with what it did, in words; the redemptions they touched list them in their timelines.
 */
let h: Harness;
let server: Awaited<ReturnType<typeof listen>>;
let b: ConsoleBrowser;

beforeAll(async () => {
  h = await startHarness();
  server = await listen(h.app.fetch);
  b = await openConsoleBrowser();
});
afterAll(async () => {
  await b?.close();
  await server?.close();
  await h?.close();
});

const url = (path: string) => `${server.url}${path}`;
const payId = () => `pay_${randomUUID().replace(/-/g, "").slice(0, 20)}`;

/** Sends one signed payment webhook (answered 200) and waits until the worker has processed it. */
async function payment(type: string, object: Record<string, unknown>, webhookId?: string) {
  const res = await sendWebhook(h, "payments", { type, data: { object } }, webhookId ? { webhookId } : {});
  expect(res.status, res.text).toBe(200);
  const row = await processed(h, res.webhookId);
  return { webhookId: res.webhookId, duplicate: res.body.duplicate as boolean, row };
}

describe("inbound webhooks in the console", () => {
  test("each webhook is listed once with its outcome in words; the redemptions' timelines list the webhooks that touched them", async () => {
    // A discount (EUR 5.00) linked by payment.created and applied by payment.completed.
    const applied = await redeem(h, "discount_amount");
    const pay = payId();
    const created = await payment("payment.created", { id: pay, amount: 2999, currency: "EUR", discounts: [{ redemption: applied.id }] });
    const completed = await payment("payment.completed", { id: pay, amount: 2999, currency: "EUR", discounts: [{ code: applied.discount!.code }] });
    expect(created.row.results).toEqual([{ ref: applied.id, redemption: applied.id, outcome: "linked" }]);
    expect(completed.row.results).toEqual([{ ref: applied.discount!.code, redemption: applied.id, outcome: "applied" }]);
    // A completion naming no redemption of this merchant.
    const unknownRef = "rdm_nosuchredemption0001";
    const unmatched = await payment("payment.completed", { id: payId(), amount: 2999, currency: "EUR", discounts: [{ redemption: unknownRef }] });
    expect(unmatched.row.outcome).toBe("unmatched");
    // An event type the service does not handle.
    const ignored = await payment("customer.updated", { id: "cus_1" });
    expect(ignored.row.outcome).toBe("ignored");
    // A USD completion against a EUR discount: not applied, a settlement conflict.
    const conflicted = await redeem(h, "discount_amount");
    const conflict = await payment("payment.completed", { id: payId(), amount: 2999, currency: "USD", discounts: [{ redemption: conflicted.id }] });
    expect(conflict.row.results).toEqual([{ ref: conflicted.id, redemption: conflicted.id, outcome: "currency_mismatch" }]);
    expect(await snapshot(h, conflicted.id)).toMatchObject({ status: "pending", events: ["created@1", "settlement_conflict@1"] });
    // The provider retries a webhook it already sent: the same webhook-id twice, stored and applied once.
    const twice = await redeem(h, "discount_percent");
    const twiceId = `msg_${randomUUID()}`;
    const first = await payment("payment.completed", { id: payId(), amount: 2999, currency: "EUR", discounts: [{ redemption: twice.id }] }, twiceId);
    const second = await payment("payment.completed", { id: payId(), amount: 2999, currency: "EUR", discounts: [{ redemption: twice.id }] }, twiceId);
    expect([first.duplicate, second.duplicate]).toEqual([false, true]);
    expect(second.row.id).toBe(first.row.id);
    expect(await snapshot(h, twice.id)).toMatchObject({ status: "applied", events: ["created@1", "applied@2"] });

    const { page, check, signIn } = b;
    await signIn(server.url, h.merchant.secret_key_test);
    await page.goto(url("/console/inbound"));
    const row = (webhookId: string) => page.locator(`[data-testid=inbound] tr[data-webhook-id="${webhookId}"]`);
    const cells = async (webhookId: string) => {
      expect(await row(webhookId).count(), webhookId).toBe(1);
      const texts = await row(webhookId).locator("td").allInnerTexts();
      return { type: texts[2], outcome: texts[4], redemptions: texts[5] };
    };
    expect(await page.locator("[data-testid=inbound] tr[data-webhook-id]").count()).toBe(6);

    expect(await cells(created.webhookId)).toEqual({ type: "payment.created", outcome: "Processed", redemptions: `${applied.id}: Linked to the payment` });
    expect(await cells(completed.webhookId)).toEqual({ type: "payment.completed", outcome: "Processed", redemptions: `${applied.id}: Applied: the discount was used` });
    expect(await cells(unmatched.webhookId)).toEqual({ type: "payment.completed", outcome: "Unmatched: names no redemption here", redemptions: `${unknownRef}: Unmatched: no redemption here with this id or code` });
    expect(await cells(ignored.webhookId)).toEqual({ type: "customer.updated", outcome: "Ignored: event type not handled", redemptions: "" });
    expect(await cells(conflict.webhookId)).toEqual({
      type: "payment.completed",
      outcome: "Processed, with a settlement conflict",
      redemptions: `${conflicted.id}: Settlement conflict: the payment's currency is not the discount's; left pending`,
    });
    expect(await cells(twiceId)).toEqual({ type: "payment.completed", outcome: "Processed", redemptions: `${twice.id}: Applied: the discount was used` });
    // The stored codes stay on the labels; no raw code is what a person reads.
    expect(await row(conflict.webhookId).locator("[data-outcome=currency_mismatch]").count()).toBe(1);
    expect(await row(unmatched.webhookId).locator("a").count()).toBe(0);
    expect(await row(created.webhookId).locator(`a[href="/console/redemptions/${applied.id}"]`).count()).toBe(1);
    const inbound = await check("inbound-live");
    expect(inbound.screenshot).toBe("test-results/console/inbound-live.png");

    // The filter keeps them (all payments); warehouse has none.
    await page.selectOption("#source", "warehouse");
    await page.click("main button[type=submit]");
    expect(await page.locator("[data-testid=inbound] tr[data-webhook-id]").count()).toBe(0);

    // The applied redemption's timeline: both webhooks that touched it, in order, with what they did.
    await page.goto(url(`/console/inbound`));
    await Promise.all([page.waitForURL(new RegExp(`/console/redemptions/${applied.id}$`)), row(created.webhookId).locator("a").click()]);
    const timeline = page.getByTestId("timeline");
    const entries = timeline.locator("li[data-webhook-id]");
    expect(await entries.evaluateAll((lis) => lis.map((li) => li.getAttribute("data-webhook-id")))).toEqual([created.webhookId, completed.webhookId]);
    expect(await timeline.locator(`li[data-webhook-id="${created.webhookId}"]`).innerText()).toContain("payments webhook payment.created");
    expect(await timeline.locator(`li[data-webhook-id="${created.webhookId}"]`).innerText()).toContain("Linked to the payment");
    expect(await timeline.locator(`li[data-webhook-id="${completed.webhookId}"]`).innerText()).toContain("Applied: the discount was used");
    expect(await timeline.innerText()).toContain("loyalty.redemption.applied");
    expect(await page.getByTestId("status").innerText()).toBe("applied");
    await check("redemption-inbound-timeline");

    // The conflicted one: still pending, its timeline shows the conflicting webhook and the conflict event.
    await page.goto(url(`/console/redemptions/${conflicted.id}`));
    expect(await page.getByTestId("status").innerText()).toBe("pending");
    expect(await timeline.locator("li[data-webhook-id]").evaluateAll((lis) => lis.map((li) => li.getAttribute("data-webhook-id")))).toEqual([conflict.webhookId]);
    expect(await timeline.locator(`li[data-webhook-id="${conflict.webhookId}"]`).innerText()).toContain("Settlement conflict: the payment's currency is not the discount's");
    expect(await timeline.innerText()).toContain("loyalty.redemption.settlement_conflict");
    await check("redemption-conflict-timeline");

    // The webhook sent twice appears once in its redemption's timeline too.
    await page.goto(url(`/console/redemptions/${twice.id}`));
    expect(await timeline.locator("li[data-webhook-id]").evaluateAll((lis) => lis.map((li) => li.getAttribute("data-webhook-id")))).toEqual([twiceId]);
  });
});
