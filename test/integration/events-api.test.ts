import { afterAll, beforeAll, expect, test } from "vitest";
import { startHarness, type Harness } from "../helpers/harness.js";
import { newTenant, redeem, WEBHOOK_TEST_CONFIG } from "../helpers/webhooks.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness(WEBHOOK_TEST_CONFIG);
});
afterAll(async () => h?.close());

test("events: newest first, filtered by type, paginated, each exactly its stored payload; never across merchants or modes", async () => {
  const tenant = await newTenant(h);
  const key = tenant.secret_key_test;
  const created = [];
  for (let i = 0; i < 3; i++) created.push(await redeem(h, key));
  const newestFirst = created.map((entry) => entry.event).reverse();

  const list = await h.api("GET", "/v1/events?limit=2", { key });
  expect(list.status).toBe(200);
  expect(list.body.data.map((event: { id: string }) => event.id)).toEqual(newestFirst.slice(0, 2));
  expect(list.body).toMatchObject({ object: "list", has_more: true, next_cursor: newestFirst[1] });
  const next = await h.api("GET", `/v1/events?limit=2&starting_after=${list.body.next_cursor}`, { key });
  expect(next.body.data.map((event: { id: string }) => event.id)).toEqual(newestFirst.slice(2));
  expect(next.body.has_more).toBe(false);

  const typed = await h.api("GET", "/v1/events?type=loyalty.redemption.created", { key });
  expect(typed.body.data).toHaveLength(3);
  expect((await h.api("GET", "/v1/events?type=loyalty.redemption.fulfilled", { key })).body.data).toEqual([]);

  const one = await h.api("GET", `/v1/events/${created[0]!.event}`, { key });
  expect(one.status).toBe(200);
  const row = await h.deps.db.selectFrom("events").select("payload").where("id", "=", created[0]!.event).executeTakeFirstOrThrow();
  expect(one.text).toBe(row.payload);
  expect(one.body).toMatchObject({
    id: created[0]!.event,
    object: "event",
    type: "loyalty.redemption.created",
    data: { object: { id: created[0]!.redemption, object: "redemption", version: 1 } },
    livemode: false,
  });
  expect(typeof one.body.created).toBe("number");
  expect(list.body.data[1]).toEqual(JSON.parse((await h.api("GET", `/v1/events/${newestFirst[1]}`, { key })).text));

  const other = await newTenant(h);
  for (const foreignKey of [other.secret_key_test, tenant.secret_key_live]) {
    expect((await h.api("GET", `/v1/events/${created[0]!.event}`, { key: foreignKey })).status).toBe(404);
    expect((await h.api("GET", "/v1/events", { key: foreignKey })).body.data).toEqual([]);
    expect((await h.api("GET", `/v1/events?starting_after=${created[0]!.event}`, { key: foreignKey })).status).toBe(400);
  }
  expect((await h.api("GET", "/v1/events/evt_doesnotexist", { key })).status).toBe(404);
});
