import { sql } from "kysely";
import { afterAll, beforeAll, expect, test } from "vitest";
import { checkInvariants } from "../../src/domain/invariants/checks.js";
import { startHarness, type Harness } from "../helpers/harness.js";
import { paymentEvent, redeem } from "../helpers/lifecycle.js";
import { Receiver, waitFor } from "../helpers/receiver.js";
import { registerEndpoint, WEBHOOK_TEST_CONFIG } from "../helpers/webhooks.js";

/** Invariants 6 (inbound processed once by effect) and 7 (events delivered, scheduled, or exhausted). */
let h: Harness;
let receiver: Receiver;
beforeAll(async () => {
  h = await startHarness(WEBHOOK_TEST_CONFIG);
  receiver = await Receiver.start();
});
afterAll(async () => {
  await h?.close();
  await receiver?.close();
});

const violated = async (db: Harness["deps"]["db"], graceSeconds: number) =>
  [...new Set((await checkInvariants(db, { graceSeconds })).filter((result) => result.violations.length > 0).map((result) => result.id))];

test("6 and 7 hold on honest, drained data, and each corruption makes them fire", async () => {
  const endpoint = await registerEndpoint(h, h.merchant.secret_key_test, receiver);
  const r = await redeem(h, "discount_amount");
  const inbox = await paymentEvent(h, "payment.completed", { id: "pay_inv7", amount: 2999, currency: "EUR", discounts: [{ redemption: r.id }] });
  const settled = await waitFor(async () => {
    const rows = await h.deps.db.selectFrom("webhook_deliveries").select("status").where("endpoint_id", "=", endpoint.id).execute();
    return rows.length === 2 && rows.every((row) => row.status === "succeeded");
  });
  expect(settled).toBe(true);
  expect(await violated(h.deps.db, 0)).toEqual([]);

  const delivery = await h.deps.db.selectFrom("webhook_deliveries").select(["id", "event_id"]).where("endpoint_id", "=", endpoint.id).executeTakeFirstOrThrow();
  const corrupt = async (statements: ReturnType<typeof sql>[], expected: number, graceSeconds = 0) => {
    await h.deps.db
      .transaction()
      .execute(async (trx) => {
        for (const statement of statements) await statement.execute(trx);
        expect(await violated(trx as never, graceSeconds)).toEqual([expected]);
        throw new Error("rollback");
      })
      .catch((error: Error) => expect(error.message).toBe("rollback"));
  };
  const staleInbox = sql`INSERT INTO inbound_webhooks (id, merchant_id, source, webhook_id, event_type, livemode, payload, received_at)
    VALUES ('inbox_stale', ${h.merchant.merchant}, 'payments', 'msg_stale', 'payment.completed', false, '{}', now() - interval '1 hour')`;
  // 6: a stored webhook never processed — judged only past the grace period.
  await corrupt([staleInbox], 6);
  await corrupt([staleInbox], 6, 600);
  expect(await violated(h.deps.db, 7200)).toEqual([]);
  // 6: the same effect claimed by a second inbox row (the completion processed twice).
  await corrupt(
    [sql`INSERT INTO inbound_webhooks (id, merchant_id, source, webhook_id, event_type, livemode, payload, outcome, results, processed_at)
      SELECT 'inbox_twice', merchant_id, source, 'msg_twice', event_type, livemode, payload, outcome, results, now()
      FROM inbound_webhooks WHERE id = ${inbox.id}`],
    6,
  );
  // 6: an effect claimed that is nowhere on record.
  await corrupt([sql`UPDATE inbound_webhooks SET results = jsonb_build_array(jsonb_build_object('ref', ${r.id}::text, 'redemption', ${r.id}::text, 'outcome', 'fulfilled')) WHERE id = ${inbox.id}`], 6);
  // 6: a discount applied with no webhook to show for it.
  await corrupt([sql`DELETE FROM inbound_webhooks WHERE id = ${inbox.id}`], 6);

  // 7: an event never relayed.
  await corrupt([sql`UPDATE events SET published_at = NULL WHERE id = ${delivery.event_id}`], 7);
  // 7: an event that never got its delivery row.
  await corrupt([sql`DELETE FROM webhook_deliveries WHERE id = ${delivery.id}`], 7);
  // 7: a delivery whose schedule was lost (long overdue, nobody holds it).
  await corrupt([sql`UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = now() - interval '1 hour', completed_at = NULL WHERE id = ${delivery.id}`], 7);
  // 7: a delivery canceled though its endpoint is enabled and subscribed.
  await corrupt([sql`UPDATE webhook_deliveries SET status = 'canceled' WHERE id = ${delivery.id}`], 7);
  // 7: an attempt missing from the log.
  await corrupt([sql`DELETE FROM webhook_attempts WHERE delivery_id = ${delivery.id}`], 7);
  // 7: failed, but its last attempt was a success.
  await corrupt([sql`UPDATE webhook_deliveries SET status = 'failed' WHERE id = ${delivery.id}`], 7);
  expect(await violated(h.deps.db, 0)).toEqual([]);
});
