import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { sql } from "kysely";
import { beforeAll, describe, expect, test } from "vitest";
import { PARTITIONED, QUEUES, queueName, type QueueKey } from "../../../src/queue/catalog.js";
import { waitFor } from "../../helpers/receiver.js";
import { call } from "../../outages/lib/http.js";
import { expectRunning } from "../../outages/lib/rig.js";
import { ADMIN_TOKEN, CLUSTER_QUEUE_PARTITIONS, verifiedEvents, type ClusterRig } from "./rig.js";

/**
 * The sandbox loop through 2 web and 2 worker processes on a 6-node Redis Cluster, each step sent to
 * the other web process than the last: redeem → pay 4242… → applied; redeem → pay 4000…0002 →
 * released, points back; item → fulfill → reverse. Postgres holds the outcome; the receiver must have
 * verified every event. Then: every queue's keys share one slot, and /metrics and Bull Board answer.
 */
let r: ClusterRig;

export function productLoopTests(rig: () => ClusterRig): void {
  describe("product loop", () => {
    beforeAll(() => {
      r = rig();
    });
    test("the product loop on a Redis Cluster and through PgBouncer (transaction mode): DB state and verified webhooks", productLoop, 90_000);
    test("every queue's keys share one slot; /metrics and Bull Board read the cluster", keysAndOperatorPages, 60_000);
    test("a key revoked with the CLI is refused by both web processes within a second (pub/sub on the cluster)", revocation, 60_000);
  });
}

async function productLoop() {
  const { clients, merchant } = await r.merchant();
  const [a, b] = clients as [(typeof clients)[0], (typeof clients)[0]];
  const account = await a.loyalty.accounts.create({ customer: "cus_cluster" });
  await b.loyalty.transactions.create({ account: account.id, amount: 2000, reason: "welcome" });
  const discount = await a.loyalty.rewards.create({ name: "EUR 5 off", type: "discount_amount", cost: 500, value: { amount: 500, currency: "EUR" } });
  const tote = await b.loyalty.rewards.create({ name: "Tote bag", type: "free_product", cost: 1000, value: { product: "tote-bag" } });
  const statusOf = async (id: string, want: string) => {
    await waitFor(async () => (await a.loyalty.redemptions.retrieve(id)).status === want, 15_000, 100);
    return (await b.loyalty.redemptions.retrieve(id)).status;
  };

  const first = await a.loyalty.redemptions.create({ account: account.id, reward: discount.id }, { idempotencyKey: `cluster-1-${account.id}` });
  const paid = await b.testPayments.create({ amount: 2999, currency: "EUR", card: { number: "4242 4242 4242 4242" }, discounts: [{ redemption: first.id }] });
  expect(paid.amount_charged).toBe(2499);
  expect(await statusOf(first.id, "applied")).toBe("applied");

  const second = await b.loyalty.redemptions.create({ account: account.id, reward: discount.id }, { idempotencyKey: `cluster-2-${account.id}` });
  const declined = await a.testPayments.create({ amount: 2999, currency: "EUR", card: { number: "4000 0000 0000 0002" }, discounts: [{ redemption: second.id }] });
  expect(declined.status).toBe("failed");
  expect(await statusOf(second.id, "released")).toBe("released");

  const item = await a.loyalty.redemptions.create(
    { account: account.id, reward: tote.id, shipping: { name: "Mira Olsen", line1: "Storgata 12", city: "Oslo", postal_code: "0155", country: "NO" } },
    { idempotencyKey: `cluster-tote-${account.id}` },
  );
  expect((await b.loyalty.redemptions.fulfill(item.id, { tracking: "NO123", carrier: "posten" })).status).toBe("fulfilled");
  expect((await a.loyalty.redemptions.reverse(item.id, { reason: "item_returned" })).status).toBe("reversed");

  // Postgres, the truth: three redemptions in their final states, 1500 points left, one debit each.
  const { rows } = await sql<{ id: string; status: string; debits: number }>`
    SELECT r.id, r.status, (SELECT COUNT(*) FROM points_transactions t WHERE t.redemption_id = r.id AND t.type = 'redemption')::int AS debits
    FROM redemptions r WHERE r.account_id = ${account.id} ORDER BY r.created_at`.execute(r.rig.db);
  expect(rows.map((row) => [row.id, row.status, row.debits])).toEqual([
    [first.id, "applied", 1],
    [second.id, "released", 1],
    [item.id, "reversed", 1],
  ]);
  const balance = await sql<{ balance: number }>`SELECT balance FROM loyalty_accounts WHERE id = ${account.id}`.execute(r.rig.db);
  expect(balance.rows[0]!.balance).toBe(1500);

  // Every state change reached the receiver, signed with the endpoint's secret, once per event id.
  const expected = [
    `${first.id} loyalty.redemption.created`,
    `${first.id} loyalty.redemption.applied`,
    `${second.id} loyalty.redemption.created`,
    `${second.id} loyalty.redemption.released`,
    `${item.id} loyalty.redemption.created`,
    `${item.id} loyalty.redemption.fulfilled`,
    `${item.id} loyalty.redemption.reversed`,
  ].sort();
  const seen = () => verifiedEvents(r.receiver).map((event) => `${event.redemption} ${event.type}`).sort();
  await waitFor(() => seen().length >= expected.length, 20_000, 100);
  expect(seen()).toEqual(expected);
  expect(r.receiver.received.every((delivery) => delivery.verifiedWith.length === 1), "every delivery verifies with the endpoint's secret").toBe(true);
  const events = await sql<{ n: number }>`SELECT COUNT(*)::int AS n FROM events WHERE merchant_id = ${merchant}`.execute(r.rig.db);
  expect(events.rows[0]!.n).toBe(expected.length);
  // Every service process reached Postgres through PgBouncer, which counted their transactions.
  const database = new URL(r.rig.env.DATABASE_URL!).pathname.slice(1);
  const stats = (await r.bouncer.admin("SHOW STATS")).find((row) => row.database === database);
  expect(Number(stats?.total_xact_count ?? 0), "transactions PgBouncer carried for the service's database").toBeGreaterThan(50);
  expectRunning(r.processes, "the product loop");
}

async function keysAndOperatorPages() {
  const inspector = r.inspector();
  await waitFor(() => inspector.status === "ready", 10_000);
  const prefix = r.rig.env.QUEUE_PREFIX!;
  const keys = new Set<string>();
  for (const node of inspector.nodes("master")) {
    let cursor = "0";
    do {
      const [next, batch] = await node.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
      cursor = next;
      for (const key of batch) keys.add(key);
    } while (cursor !== "0");
  }
  // Every queue, each partition of the partitioned ones included (the rig runs QUEUE_PARTITIONS).
  const names = (Object.keys(QUEUES) as QueueKey[]).flatMap((key) => Array.from({ length: PARTITIONED.includes(key) ? CLUSTER_QUEUE_PARTITIONS : 1 }, (_, p) => queueName(key, p)));
  for (const name of names) {
    const own = [...keys].filter((key) => key.startsWith(`${prefix}:${name}:`));
    // A partition no merchant of this run hashed to has no keys yet; the plain queues all have some.
    if (Object.values(QUEUES).includes(name as never)) expect(own.length, `keys of queue ${name}`).toBeGreaterThan(0);
    const slots = new Set(await Promise.all(own.map((key) => inspector.cluster("KEYSLOT", key))));
    if (own.length > 0) expect([...slots], `slots of queue ${name}'s ${own.length} keys`).toEqual([await inspector.cluster("KEYSLOT", name)]);
  }
  // The queues and their partitions spread over the masters rather than piling on one (distinct hash tags).
  const queueSlots = (await Promise.all(names.map((name) => inspector.cluster("KEYSLOT", name)))) as number[];
  expect(new Set(queueSlots).size).toBe(names.length);
  const mastersOfPartitions = (key: QueueKey) =>
    new Set(queueSlots.filter((_, i) => names[i]!.startsWith(`{${key}`)).map((slot) => (inspector.slots[slot] ?? [])[0]));
  expect(mastersOfPartitions("requests").size, "masters holding the requests partitions").toBeGreaterThan(1);
  expect(mastersOfPartitions("inbound").size, "masters holding the inbound partitions").toBeGreaterThan(1);

  const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
  const metrics = await call(r.webs[1]!, "GET", "/metrics", { capMs: 10_000, headers: auth });
  expect(metrics.status, metrics.text.slice(0, 300)).toBe(200);
  // The merchant's create jobs went to its partition, whichever that is.
  expect(metrics.text).toMatch(/queue_jobs_finished_total\{queue="\{requests(-\d+)?\}",outcome="completed"\} [1-9]/);
  expect(metrics.text).toMatch(/webhook_delivery_attempts_total\{outcome="succeeded",error=""\} [1-9]/);
  const board = await call(r.webs[0]!, "GET", "/admin/queues/api/queues", { capMs: 10_000, headers: auth });
  expect(board.status, board.text.slice(0, 300)).toBe(200);
  expect((board.body.queues as { name: string }[]).map((queue) => queue.name).sort()).toEqual([...names].sort());
}

async function revocation() {
  const { merchant, secretKey } = await r.merchant();
  const status = async (base: string) => (await call(base, "GET", "/v1/loyalty/accounts", { secretKey, capMs: 5_000 })).status;
  // Both processes have the key cached (for 3 s): only the announcement can make them refuse it sooner.
  for (const base of r.webs) expect(await status(base)).toBe(200);
  const { stdout } = await promisify(execFile)(process.execPath, [`${r.rig.build}/src/bin/cli.js`, "keys", "revoke", "--merchant", merchant, "--key", secretKey], {
    env: { ...process.env, ...r.rig.env },
    timeout: 20_000,
  });
  const revokedAt = Date.now();
  expect(JSON.parse(stdout)).toMatchObject({ revoked: true, announced: true });
  const delays = await Promise.all(
    r.webs.map(async (base) => {
      while ((await status(base)) === 200 && Date.now() - revokedAt < 5_000) await new Promise((resolve) => setTimeout(resolve, 10));
      return Date.now() - revokedAt;
    }),
  );
  for (const delay of delays) expect(delay, `refused ${delays.join(" and ")} ms after the CLI returned`).toBeLessThan(1_000);
}
