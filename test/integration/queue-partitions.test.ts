import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createMerchant } from "../../src/domain/merchants/merchants.js";
import { partitionOf, queueName } from "../../src/queue/catalog.js";
import { createAccount, createReward } from "../helpers/factories.js";
import { startHarness, type Harness } from "../helpers/harness.js";
import { expectLedgerInvariants } from "../helpers/invariants.js";

/**
 * QUEUE_PARTITIONS=3: each merchant's REST requests and inbound webhooks go to the partition of the
 * merchant (and to no other), the workers serve every partition, and the operator sees every one.
 */
const PARTITIONS = 3;
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ QUEUE_PARTITIONS: String(PARTITIONS), ADMIN_TOKEN: "a-long-operator-token" });
});
afterAll(async () => h?.close());

describe("partitions of a queue", () => {
  test("names: partition 0 keeps the plain name, each other one is a hash tag of its own", () => {
    expect([0, 1, 2].map((p) => queueName("requests", p))).toEqual(["{requests}", "{requests-1}", "{requests-2}"]);
    expect(partitionOf("mch_anything", 1)).toBe(0);
    expect(partitionOf(undefined, 3)).toBe(0);
    const spread = new Set(Array.from({ length: 60 }, (_, i) => partitionOf(`mch_${i}`, PARTITIONS)));
    expect(spread).toEqual(new Set([0, 1, 2]));
  });

  test("a merchant's redemption and its payment webhook run through the merchant's partition; every partition is served", async () => {
    // Merchants until one lands in each partition.
    const byPartition = new Map<number, { merchant: string; key: string }>();
    for (let i = 0; byPartition.size < PARTITIONS && i < 50; i++) {
      const created = await createMerchant(h.deps.db, `partition merchant ${i}`);
      const partition = partitionOf(created.merchant, PARTITIONS);
      if (!byPartition.has(partition)) byPartition.set(partition, { merchant: created.merchant, key: created.secret_key_test });
    }
    expect(byPartition.size).toBe(PARTITIONS);

    for (const [partition, { merchant, key }] of byPartition) {
      const account = await createAccount(h, 1_000, key);
      const reward = await createReward(h, "discount_amount", {}, key);
      const idempotencyKey = `partition-${partition}`;
      const created = await h.api("POST", "/v1/loyalty/redemptions", { key, idempotencyKey, body: { account: account.id, reward: reward.id } });
      expect(created.status).toBe(201);
      const request = await h.deps.db.selectFrom("idempotency_keys").select("id").where("merchant_id", "=", merchant).where("key", "=", idempotencyKey).executeTakeFirstOrThrow();
      const holding = await Promise.all(h.deps.queues.partitions.requests.map(async (queue) => Boolean(await queue.getJob(request.id))));
      expect(holding, `the create job of a merchant of partition ${partition}`).toEqual([0, 1, 2].map((p) => p === partition));

      const paid = await h.api("POST", "/v1/test/payments", {
        key,
        idempotencyKey: randomUUID(),
        body: { amount: 2999, currency: "EUR", card: { number: "4242 4242 4242 4242" }, discounts: [{ redemption: created.body.id }] },
      });
      expect(paid.status).toBe(201);
      await expect.poll(async () => (await h.api("GET", `/v1/loyalty/redemptions/${created.body.id}`, { key })).body.status, { timeout: 10_000 }).toBe("applied");
      const inbox = await h.deps.db.selectFrom("inbound_webhooks").select("id").where("merchant_id", "=", merchant).execute();
      expect(inbox.length).toBeGreaterThan(0);
      for (const row of inbox) {
        const inPartition = await Promise.all(h.deps.queues.partitions.inbound.map(async (queue) => (await queue.getJobs(["completed"])).some((job) => (job.data.inboxIds ?? [job.data.inboxId]).includes(row.id))));
        expect(inPartition, `the inbound job of a merchant of partition ${partition}`).toEqual([0, 1, 2].map((p) => p === partition));
      }
      await expectLedgerInvariants(h.deps.db);
    }

    const metrics = await h.api("GET", "/metrics", { key: null, headers: { authorization: "Bearer a-long-operator-token" } });
    for (const name of ["{requests}", "{requests-1}", "{requests-2}", "{inbound}", "{inbound-1}", "{inbound-2}", "{deliveries}"]) {
      expect(metrics.text).toContain(`queue_jobs{queue="${name}",state="waiting"}`);
    }
    expect(metrics.text).not.toContain('queue="{deliveries-1}"');
  });
});
