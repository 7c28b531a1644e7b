import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { runSweepsOnce } from "../../jobs/sweepers.js";
import { processInboundWebhookJob } from "../../jobs/process-inbound-webhook.js";
import { findUnprocessedInbound } from "../../src/domain/inbound/inbox.js";
import { countDeadLetters } from "../../src/domain/dead-letters.js";
import { newId } from "../../src/ids.js";
import { startHarness, type Harness } from "../helpers/harness.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ MAX_ATTEMPTS: "3", SWEEP_STALE_AFTER_MS: "10", ADMIN_TOKEN: "a-long-operator-token" }, { workers: false });
});
afterAll(async () => h?.close());

/** An inbox row as the route stores it; `payload` is what makes it poison (the route would refuse it). */
async function storeInboxRow(payload: string, attempts = 0) {
  const id = newId("inbox");
  await h.deps.db
    .insertInto("inbound_webhooks")
    .values({
      id,
      merchant_id: h.merchant.merchant,
      source: "payments",
      webhook_id: `msg_${id}`,
      event_type: "payment.completed",
      livemode: false,
      payload,
      outcome: null,
      results: null,
      processed_at: null,
      attempts,
      last_error: null,
      failed_at: null,
      received_at: new Date(Date.now() - 60_000),
    })
    .execute();
  return id;
}

const runJob = (inboxId: string) => processInboundWebhookJob(h.workerDeps, { data: { inboxId } } as never);
const rowOf = (id: string) => h.deps.db.selectFrom("inbound_webhooks").selectAll().where("id", "=", id).executeTakeFirstOrThrow();

describe("poison inbound webhooks stop looping", () => {
  test("each failed run is counted with its error; at MAX_ATTEMPTS the row is dead-lettered and never run again", async () => {
    const poison = await storeInboxRow("{not json");
    await expect(runJob(poison)).rejects.toThrow();
    expect(await rowOf(poison)).toMatchObject({ attempts: 1, failed_at: null, processed_at: null });
    expect((await rowOf(poison)).last_error).toMatch(/JSON/);
    await expect(runJob(poison)).rejects.toThrow();
    await expect(runJob(poison)).rejects.toMatchObject({ name: "UnrecoverableError" });
    const dead = await rowOf(poison);
    expect(dead.attempts).toBe(3);
    expect(dead.failed_at).toBeInstanceOf(Date);
    // Dead: a further run (a duplicate job) does nothing and counts nothing.
    expect(await runJob(poison)).toEqual({ outcome: "nothing_to_do" });
    expect((await rowOf(poison)).attempts).toBe(3);
    expect((await findUnprocessedInbound(h.deps.db, 10, 500)).map((row) => row.id)).not.toContain(poison);
    expect((await countDeadLetters(h.deps.db)).inbound_webhooks).toBeGreaterThanOrEqual(1);
  });

  test("a batch of rows that keep failing cannot hide a newly lost one from the sweeper", async () => {
    // 600 older rows that have failed before (more than one sweep's batch of 500), then one lost row.
    const values = Array.from({ length: 600 }, (_, i) => `('${newId("inbox")}', '${h.merchant.merchant}', 'payments', 'msg_bulk_${i}', 'payment.completed', false, '{not json', 2, now() - interval '1 hour')`);
    await sql
      .raw(`INSERT INTO inbound_webhooks (id, merchant_id, source, webhook_id, event_type, livemode, payload, attempts, received_at) VALUES ${values.join(",")}`)
      .execute(h.deps.db);
    const lost = await storeInboxRow(JSON.stringify({ type: "payment.unknown_kind", data: { object: {} } }));
    const batch = await findUnprocessedInbound(h.deps.db, 10, 500);
    expect(batch[0]?.id).toBe(lost);
  });

  test("/metrics counts dead letters by kind", async () => {
    const res = await h.api("GET", "/metrics", { key: null, headers: { authorization: "Bearer a-long-operator-token" } });
    expect(res.status).toBe(200);
    const dead = await countDeadLetters(h.deps.db);
    expect(res.text).toContain(`dead_letters{kind="inbound_webhooks"} ${dead.inbound_webhooks}`);
    expect(res.text).toContain(`dead_letters{kind="requests"} ${dead.requests}`);
  });

  test("the sweeper leaves dead-lettered rows alone (and in the same round re-drives a live lost one)", async () => {
    const poison = await storeInboxRow("{not json", 3);
    await h.deps.db.updateTable("inbound_webhooks").set({ failed_at: new Date() }).where("id", "=", poison).execute();
    const lost = await storeInboxRow(JSON.stringify({ type: "payment.unknown_kind", data: { object: {} } }));
    const counts = await runSweepsOnce(h.workerDeps);
    expect(counts.unprocessedInboundWebhooks).toBeGreaterThanOrEqual(1);
    expect(await h.deps.queues.inbound.getJob(lost), "the live lost row was re-driven").toBeDefined();
    expect(await h.deps.queues.inbound.getJob(poison)).toBeUndefined();
  });
});
