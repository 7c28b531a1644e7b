import { loadConfigOrExit } from "../src/bin/load-config.js";
import { Client, type Redemption } from "@loyalty-redemptions/client";
import { createDb } from "../src/db/client.js";
import { createMerchant } from "../src/domain/merchants/merchants.js";
import { startReceiver, type ReceivedEvent } from "./demo/receiver.js";
import { ensureService, type Service } from "./demo/service.js";

/**
 * `npm run demo`: the whole sandbox loop a merchant tries before launch, through the typed client.
 * Prints a transcript and exits 1 at the first thing that differs from what the loop should do.
 * Each step's webhooks are printed under that step: the step waits for the events it caused before
 * the next heading is printed (deliveries are asynchronous and would otherwise land under the next one).
 */
const config = loadConfigOrExit();
const say = (line: string) => process.stdout.write(`${line}\n`);
let failures = 0;
function expectThat(what: string, actual: unknown, expected: unknown) {
  const ok = JSON.stringify(actual) === JSON.stringify(expected);
  if (!ok) failures++;
  say(`  ${ok ? "ok  " : "FAIL"} ${what}: ${JSON.stringify(actual)}${ok ? "" : ` (expected ${JSON.stringify(expected)})`}`);
  return ok;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Payments settle asynchronously (the provider's events are processed after the answer): poll. */
async function waitForStatus(client: Client, id: string, status: Redemption["status"]): Promise<Redemption> {
  let redemption = await client.loyalty.redemptions.retrieve(id);
  for (let i = 0; i < 100 && redemption.status !== status; i++) {
    await sleep(100);
    redemption = await client.loyalty.redemptions.retrieve(id);
  }
  return redemption;
}

type Receiver = Awaited<ReturnType<typeof startReceiver>>;
const describe = (event: ReceivedEvent) => `${event.redemption} ${event.type}`;
const printed = new Set<string>();

/** Waits (up to 15 s) for the webhooks one step caused, and prints them under its heading, in arrival order. */
async function showWebhooks(receiver: Receiver, expected: string[]) {
  const arrived = () => expected.filter((want) => receiver.events.some((event) => describe(event) === want));
  for (let i = 0; i < 150 && arrived().length < expected.length; i++) await sleep(100);
  for (const event of receiver.events) {
    if (!expected.includes(describe(event)) || printed.has(event.id)) continue;
    printed.add(event.id);
    say(`  webhook ✓ verified  ${event.type.padEnd(29)} ${event.redemption} v${event.version} (${event.status})`);
  }
  const missing = expected.filter((want) => !arrived().includes(want));
  if (missing.length > 0) expectThat("webhooks of this step", `missing ${missing.join(", ")}`, "all received");
}

async function run(service: Service, receiver: Receiver) {
  const db = createDb(config.DATABASE_URL, 1, undefined, undefined, config.DATABASE_POOLING);
  const merchant = await createMerchant(db, "Demo shop").finally(() => db.destroy());
  say(`merchant ${merchant.merchant} (test key ${merchant.secret_key_test.slice(0, 12)}…)`);
  const client = new Client({ secretKey: merchant.secret_key_test, baseUrl: service.baseUrl });

  const endpoint = await client.webhookEndpoints.create({ url: receiver.url, enabled_events: ["*"], description: "demo receiver" });
  receiver.setSecret(endpoint.secret);
  say(`webhook endpoint ${endpoint.id} → ${receiver.url}`);

  const account = await client.loyalty.accounts.create({ customer: "cus_demo" });
  await client.loyalty.transactions.create({ account: account.id, amount: 2000, reason: "welcome bonus" });
  const balance = async () => (await client.loyalty.accounts.retrieve(account.id)).balance;
  say(`account ${account.id}: balance ${await balance()}`);
  const discount = await client.loyalty.rewards.create({ name: "EUR 5 off", type: "discount_amount", cost: 500, value: { amount: 500, currency: "EUR" } });
  const tote = await client.loyalty.rewards.create({ name: "Tote bag", type: "free_product", cost: 1000, value: { product: "tote-bag" } });
  say(`rewards: ${discount.id} "EUR 5 off" (500 points), ${tote.id} "Tote bag" (1000 points)`);

  say("\n1. Redeem the discount, pay EUR 29.99 with 4242 4242 4242 4242");
  const first = await client.loyalty.redemptions.create({ account: account.id, reward: discount.id }, { idempotencyKey: `demo-cart-1-${account.id}` });
  say(`  redemption ${first.id}: ${first.status}, code ${first.discount && first.discount.code}, balance ${await balance()}`);
  const paid = await client.testPayments.create({ amount: 2999, currency: "EUR", card: { number: "4242 4242 4242 4242" }, discounts: [{ redemption: first.id }] });
  say(`  payment ${paid.id}: ${paid.status}, charged ${paid.amount_charged} of ${paid.amount} ${paid.currency}`);
  expectThat("amount charged", paid.amount_charged, 2499);
  expectThat("redemption status", (await waitForStatus(client, first.id, "applied")).status, "applied");
  expectThat("balance", await balance(), 1500);
  await showWebhooks(receiver, [`${first.id} loyalty.redemption.created`, `${first.id} loyalty.redemption.applied`]);

  say("\n2. Redeem the discount again, pay with 4000 0000 0000 0002 (declined)");
  const second = await client.loyalty.redemptions.create({ account: account.id, reward: discount.id }, { idempotencyKey: `demo-cart-2-${account.id}` });
  say(`  redemption ${second.id}: ${second.status}, balance ${await balance()}`);
  const declined = await client.testPayments.create({ amount: 2999, currency: "EUR", card: { number: "4000 0000 0000 0002" }, discounts: [{ redemption: second.id }] });
  say(`  payment ${declined.id}: ${declined.status} (${declined.failure_code})`);
  expectThat("redemption status", (await waitForStatus(client, second.id, "released")).status, "released");
  expectThat("balance (points back)", await balance(), 1500);
  await showWebhooks(receiver, [`${second.id} loyalty.redemption.created`, `${second.id} loyalty.redemption.released`]);

  say("\n3. Redeem the tote bag, ship it, then the customer returns it");
  const item = await client.loyalty.redemptions.create(
    { account: account.id, reward: tote.id, shipping: { name: "Mira Olsen", line1: "Storgata 12", city: "Oslo", postal_code: "0155", country: "NO" } },
    { idempotencyKey: `demo-tote-${account.id}` },
  );
  say(`  redemption ${item.id}: ${item.status}, balance ${await balance()}`);
  const shipped = await client.loyalty.redemptions.fulfill(item.id, { tracking: "NO123456789", carrier: "posten" });
  expectThat("after fulfill", shipped.status, "fulfilled");
  const returned = await client.loyalty.redemptions.reverse(item.id, { reason: "item_returned" });
  expectThat("after reverse", returned.status, "reversed");
  expectThat("balance (points back)", await balance(), 1500);
  await showWebhooks(receiver, [`${item.id} loyalty.redemption.created`, `${item.id} loyalty.redemption.fulfilled`, `${item.id} loyalty.redemption.reversed`]);

  say("\n4. Webhooks received");
  const expected = [
    `${first.id} loyalty.redemption.created`,
    `${first.id} loyalty.redemption.applied`,
    `${second.id} loyalty.redemption.created`,
    `${second.id} loyalty.redemption.released`,
    `${item.id} loyalty.redemption.created`,
    `${item.id} loyalty.redemption.fulfilled`,
    `${item.id} loyalty.redemption.reversed`,
  ].sort();
  const seen = () => receiver.events.map(describe).sort();
  // A few hundred ms more, so a duplicate or unexpected event would be caught too.
  await sleep(300);
  for (const event of receiver.events) if (!printed.has(event.id)) say(`  webhook ✓ verified  ${event.type.padEnd(29)} ${event.redemption} v${event.version} (${event.status}) — not expected`);
  expectThat("events received and verified", seen().length, expected.length);
  expectThat("every expected event, once", JSON.stringify(seen()) === JSON.stringify(expected), true);
  expectThat("deliveries refused by signature check", receiver.rejected(), 0);
}

const port = Number(process.env.PORT ?? 3000);
// Events are printed under the step that caused them (showWebhooks), not as they arrive.
const receiver = await startReceiver(() => {});
let service: Service | undefined;
try {
  service = await ensureService(port);
  say(service.logFile ? `service started at ${service.baseUrl} (logs: ${service.logFile})` : `using the service already running at ${service.baseUrl}`);
  await run(service, receiver);
} catch (error) {
  failures++;
  say(`\nFAIL ${(error as Error).message}`);
  if ((error as { code?: string }).code === "parameter_invalid" && !service?.logFile) {
    say("     (a separately running service needs WEBHOOK_ALLOW_HOSTS=127.0.0.1 to deliver to the demo's receiver)");
  }
} finally {
  await receiver.close();
  await service?.stop();
}
say(failures === 0 ? "\nDEMO OK: every step did what it should." : `\nDEMO FAILED: ${failures} check(s) differed.`);
process.exit(failures === 0 ? 0 : 1);
