import { afterAll, beforeAll, expect, test } from "vitest";
import { startHarness, type Harness } from "../helpers/harness.js";
import { newTenant } from "../helpers/webhooks.js";

// No allow-list, and no workers: nothing here is ever delivered, so the public address below is
// registered but never contacted.
let h: Harness;
beforeAll(async () => {
  h = await startHarness({}, { workers: false });
});
afterAll(async () => h?.close());

const PUBLIC_URL = "https://93.184.216.34/hooks";

test("CRUD: the secret is shown at creation only, stored encrypted, and the endpoint can be listed, updated, deleted", async () => {
  const tenant = await newTenant(h);
  const key = tenant.secret_key_test;
  const created = await h.api("POST", "/v1/webhook-endpoints", {
    key,
    body: { url: PUBLIC_URL, enabled_events: ["loyalty.redemption.applied", "loyalty.redemption.applied"], description: "orders", metadata: { team: "ops" } },
  });
  expect(created.status, created.text).toBe(201);
  expect(created.body).toMatchObject({
    object: "webhook_endpoint",
    url: PUBLIC_URL,
    enabled_events: ["loyalty.redemption.applied"],
    status: "enabled",
    description: "orders",
    metadata: { team: "ops" },
    livemode: false,
  });
  expect(created.body.id).toMatch(/^we_/);
  expect(created.body.secret).toMatch(/^whsec_[A-Za-z0-9+/=]{32}$/);
  const id = created.body.id as string;

  const stored = await h.deps.db.selectFrom("webhook_endpoint_secrets").select("ciphertext").where("endpoint_id", "=", id).execute();
  expect(stored).toHaveLength(1);
  expect(stored[0]!.ciphertext).not.toContain(created.body.secret.slice(6));
  const idempotency = await h.deps.db.selectFrom("idempotency_keys").select("response_body").where("merchant_id", "=", tenant.merchant).execute();
  expect(idempotency.every((row) => !row.response_body?.includes(created.body.secret.slice(6)))).toBe(true);

  const fetched = await h.api("GET", `/v1/webhook-endpoints/${id}`, { key });
  expect(fetched.status).toBe(200);
  expect(fetched.body).not.toHaveProperty("secret");
  const list = await h.api("GET", "/v1/webhook-endpoints", { key });
  expect(list.body.data.map((endpoint: { id: string }) => endpoint.id)).toEqual([id]);
  expect(list.body.data[0]).not.toHaveProperty("secret");

  const patched = await h.api("PATCH", `/v1/webhook-endpoints/${id}`, { key, body: { enabled_events: ["*"], status: "disabled", description: null } });
  expect(patched.status, patched.text).toBe(200);
  expect(patched.body).toMatchObject({ enabled_events: ["*"], status: "disabled", description: null });

  const deleted = await h.api("DELETE", `/v1/webhook-endpoints/${id}`, { key });
  expect(deleted.body).toEqual({ id, object: "webhook_endpoint", deleted: true });
  expect((await h.api("GET", `/v1/webhook-endpoints/${id}`, { key })).status).toBe(404);
  expect((await h.api("DELETE", `/v1/webhook-endpoints/${id}`, { key })).status).toBe(404);
});

test("an idempotent retry of the creation replays the same endpoint and secret, creating nothing", async () => {
  const tenant = await newTenant(h);
  const key = tenant.secret_key_test;
  const body = { url: PUBLIC_URL, enabled_events: ["*"] };
  const first = await h.api("POST", "/v1/webhook-endpoints", { key, body, idempotencyKey: "create-1" });
  const again = await h.api("POST", "/v1/webhook-endpoints", { key, body, idempotencyKey: "create-1" });
  expect(again.headers.get("idempotent-replayed")).toBe("true");
  expect(again.text).toBe(first.text);
  expect((await h.api("GET", "/v1/webhook-endpoints", { key })).body.data).toHaveLength(1);
});

test("rotation returns a new secret once and keeps the old one signing for 24 h", async () => {
  const tenant = await newTenant(h);
  const key = tenant.secret_key_test;
  const created = await h.api("POST", "/v1/webhook-endpoints", { key, body: { url: PUBLIC_URL, enabled_events: ["*"] } });
  const before = Date.now();
  const rotated = await h.api("POST", `/v1/webhook-endpoints/${created.body.id}/rotate-secret`, { key });
  expect(rotated.status).toBe(200);
  expect(rotated.body.secret).not.toBe(created.body.secret);
  const rows = await h.deps.db.selectFrom("webhook_endpoint_secrets").select(["expires_at"]).where("endpoint_id", "=", created.body.id).orderBy("id").execute();
  expect(rows).toHaveLength(2);
  expect(rows[1]!.expires_at).toBeNull();
  const overlap = rows[0]!.expires_at!.getTime() - before;
  expect(overlap).toBeGreaterThan(24 * 3_600_000 - 60_000);
  expect(overlap).toBeLessThanOrEqual(24 * 3_600_000 + 60_000);
});

test.each([
  "http://127.0.0.1/hooks",
  "http://10.0.0.1/hooks",
  "http://172.16.5.4/hooks",
  "http://192.168.1.10/hooks",
  "http://100.64.0.1/hooks",
  "http://169.254.169.254/latest/meta-data",
  "http://0.0.0.0/hooks",
  "http://[::1]/hooks",
  "http://[::ffff:127.0.0.1]/hooks",
  "http://[::ffff:a9fe:a9fe]/hooks",
  "http://[fe80::1]/hooks",
  "http://[fd00:ec2::254]/hooks",
  "http://2130706433/hooks",
  "http://0x7f.1/hooks",
  "http://0177.0.0.1/hooks",
  "http://[::127.0.0.1]/hooks",
  "http://[::169.254.169.254]/latest/meta-data",
  "http://[0:0:0:0:0:ffff:7f00:1]/hooks",
  "http://[64:ff9b::a9fe:a9fe]/hooks",
  "http://[2002:a9fe:a9fe::]/hooks",
  "http://[2001::1]/hooks",
  "http://[2001:db8::1]/hooks",
  "http://[fe80::1%25eth0]/hooks",
  "http://198.18.0.1/hooks",
  "http://192.0.2.1/hooks",
  "http://localhost/hooks",
  "http://localhost./hooks",
  "ftp://93.184.216.34/hooks",
  "https://user:pass@93.184.216.34/hooks",
  "not a url",
])("registration refuses %s with 400 parameter_invalid on url", async (url) => {
  const tenant = await newTenant(h);
  const res = await h.api("POST", "/v1/webhook-endpoints", { key: tenant.secret_key_test, body: { url, enabled_events: ["*"] } });
  expect(res.status, res.text).toBe(400);
  expect(res.body.error).toMatchObject({ type: "invalid_request_error", code: "parameter_invalid", param: "url", message: expect.stringMatching(/^Invalid url: /) });
  expect(res.body.error.request_id).toMatch(/^req_/);
  expect(await h.deps.db.selectFrom("webhook_endpoints").select("id").where("merchant_id", "=", tenant.merchant).execute()).toEqual([]);
});

test("a PATCH to a private url is refused the same way", async () => {
  const tenant = await newTenant(h);
  const key = tenant.secret_key_test;
  const created = await h.api("POST", "/v1/webhook-endpoints", { key, body: { url: PUBLIC_URL, enabled_events: ["*"] } });
  for (const url of ["http://[::ffff:10.0.0.1]/", "http://[::127.0.0.1]/", "http://[::169.254.169.254]/"]) {
    const res = await h.api("PATCH", `/v1/webhook-endpoints/${created.body.id}`, { key, body: { url } });
    expect(res.status, url).toBe(400);
    expect(res.body.error).toMatchObject({ code: "parameter_invalid", param: "url" });
  }
  expect((await h.api("GET", `/v1/webhook-endpoints/${created.body.id}`, { key })).body.url).toBe(PUBLIC_URL);
});

test("invalid enabled_events are refused", async () => {
  const tenant = await newTenant(h);
  for (const enabled_events of [[], ["loyalty.redemption.nope"], "*"]) {
    const res = await h.api("POST", "/v1/webhook-endpoints", { key: tenant.secret_key_test, body: { url: PUBLIC_URL, enabled_events } });
    expect(res.status).toBe(400);
    expect(res.body.error.param).toMatch(/^enabled_events/);
  }
  expect(await h.deps.db.selectFrom("webhook_endpoints").select("id").where("merchant_id", "=", tenant.merchant).execute()).toEqual([]);
});

test("endpoints never cross merchants or modes: 404 everywhere", async () => {
  const tenant = await newTenant(h);
  const other = await newTenant(h);
  const created = await h.api("POST", "/v1/webhook-endpoints", { key: tenant.secret_key_test, body: { url: PUBLIC_URL, enabled_events: ["*"] } });
  const id = created.body.id as string;
  for (const key of [other.secret_key_test, tenant.secret_key_live]) {
    expect((await h.api("GET", `/v1/webhook-endpoints/${id}`, { key })).status).toBe(404);
    expect((await h.api("PATCH", `/v1/webhook-endpoints/${id}`, { key, body: { status: "disabled" } })).status).toBe(404);
    expect((await h.api("POST", `/v1/webhook-endpoints/${id}/rotate-secret`, { key })).status).toBe(404);
    expect((await h.api("GET", `/v1/webhook-endpoints/${id}/attempts`, { key })).status).toBe(404);
    expect((await h.api("DELETE", `/v1/webhook-endpoints/${id}`, { key })).status).toBe(404);
    expect((await h.api("GET", "/v1/webhook-endpoints", { key })).body.data).toEqual([]);
  }
  const row = await h.deps.db.selectFrom("webhook_endpoints").select(["status", "deleted_at"]).where("id", "=", id).executeTakeFirstOrThrow();
  expect(row).toEqual({ status: "enabled", deleted_at: null });
  // No foreign rotation happened: still the one secret, with no end.
  expect(await h.deps.db.selectFrom("webhook_endpoint_secrets").select("expires_at").where("endpoint_id", "=", id).execute()).toEqual([{ expires_at: null }]);
});
