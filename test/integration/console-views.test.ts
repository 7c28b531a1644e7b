import { afterAll, beforeAll, expect, test } from "vitest";
import { recentInbound } from "../../src/domain/console/views.js";
import { newId } from "../../src/ids.js";
import { startHarness, type Harness } from "../helpers/harness.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness({}, { workers: false });
});
afterAll(async () => h?.close());

test("the Inbound list pages by (received_at, id): rows stored in one transaction are neither skipped nor repeated", async () => {
  const receivedAt = new Date("2026-11-30T10:00:00.123456Z");
  const ids = Array.from({ length: 5 }, () => newId("inbox"));
  await h.deps.db
    .insertInto("inbound_webhooks")
    .values(
      ids.map((id) => ({
        id,
        merchant_id: h.merchant.merchant,
        source: "payments" as const,
        webhook_id: `msg_${id}`,
        event_type: "payment.created",
        livemode: false,
        payload: "{}",
        outcome: null,
        results: null,
        processed_at: null,
        last_error: null,
        failed_at: null,
        received_at: receivedAt,
      })),
    )
    .execute();
  const scope = { merchantId: h.merchant.merchant, livemode: false };
  const seen: string[] = [];
  let before: string | undefined;
  for (let page = 0; page < 10; page++) {
    const { rows, hasMore } = await recentInbound(h.deps.db, scope, { limit: 2, before });
    seen.push(...rows.map((row) => row.id));
    if (!hasMore) break;
    before = rows.at(-1)!.id;
  }
  expect(seen).toHaveLength(5);
  expect(new Set(seen)).toEqual(new Set(ids));
  // Another merchant's row as a cursor gives nothing of ours past it away: it is no cursor at all.
  expect((await recentInbound(h.deps.db, { merchantId: "mer_other", livemode: false }, { limit: 10, before: ids[0] })).rows).toEqual([]);
});
