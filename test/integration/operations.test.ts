import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startWorkers } from "../../jobs/worker.js";
import { createAccount, createReward } from "../helpers/factories.js";
import { startHarness, type Harness } from "../helpers/harness.js";
import { Receiver } from "../helpers/receiver.js";
import { newTenant, redeem, registerEndpoint, settledDelivery, WEBHOOK_TEST_CONFIG } from "../helpers/webhooks.js";

const TOKEN = "operator-token-0123456789";
let open: Harness;
let guarded: Harness;
beforeAll(async () => {
  [open, guarded] = await Promise.all([startHarness(), startHarness({ ADMIN_TOKEN: TOKEN }, { workers: false })]);
});
afterAll(async () => Promise.all([open?.close(), guarded?.close()]));

const basic = (password: string) => `Basic ${Buffer.from(`ops:${password}`).toString("base64")}`;

describe("/metrics", () => {
  test("reports HTTP latency by route pattern, queue depths and finished jobs", async () => {
    const account = await createAccount(open, 1000);
    const reward = await createReward(open);
    expect((await open.api("POST", "/v1/loyalty/redemptions", { body: { account: account.id, reward: reward.id } })).status).toBe(201);
    const res = await open.api("GET", "/metrics", { key: null });
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/http_request_duration_seconds_count\{method="POST",route="\/v1\/loyalty\/redemptions",status="201"\} 1/);
    expect(res.text).not.toMatch(/route="\/v1\/loyalty\/accounts\/loy_/);
    expect(res.text).toMatch(/queue_jobs\{queue="\{requests\}",state="waiting"\} 0/);
    expect(res.text).toMatch(/queue_jobs_finished_total\{queue="\{requests\}",outcome="completed"\} [1-9]/);
    expect(res.text).toContain("process_cpu_seconds_total");
  });

  test("needs the operator token when ADMIN_TOKEN is set", async () => {
    expect((await guarded.api("GET", "/metrics", { key: null })).status).toBe(401);
    expect((await guarded.api("GET", "/metrics", { key: "wrong-token-wrong-token" })).status).toBe(401);
    expect((await guarded.api("GET", "/metrics", { key: TOKEN })).status).toBe(200);
  });
});

describe("outbound deliveries in /metrics, and job logs", () => {
  test("attempts are counted by outcome and error class; every line a job logs carries its job id", async () => {
    const h = await startHarness(WEBHOOK_TEST_CONFIG, { workers: false });
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const running = startWorkers({ ...h.workerDeps, logger }, { sweepers: false });
    const [ok, broken] = await Promise.all([Receiver.start(), Receiver.start()]);
    broken.reply = () => ({ status: 500 });
    try {
      const tenant = await newTenant(h);
      const good = await registerEndpoint(h, tenant.secret_key_test, ok);
      const bad = await registerEndpoint(h, tenant.secret_key_test, broken);
      const { event } = await redeem(h, tenant.secret_key_test);
      expect((await settledDelivery(h, event, good.id)).status).toBe("succeeded");
      expect((await settledDelivery(h, event, bad.id)).status).toBe("failed");

      // The counts match the attempts log in Postgres, attempt for attempt.
      const failedAttempts = await h.deps.db.selectFrom("webhook_attempts").select("id").where("endpoint_id", "=", bad.id).where("error", "=", "http_status").execute();
      expect(failedAttempts.length).toBe(4);
      const metrics = (await h.api("GET", "/metrics", { key: null })).text;
      expect(metrics).toContain('webhook_delivery_attempts_total{outcome="succeeded",error=""} 1');
      expect(metrics).toContain(`webhook_delivery_attempts_total{outcome="failed",error="http_status"} ${failedAttempts.length}`);

      const attemptLines = lines.filter((line) => line.msg === "webhook attempt");
      expect(attemptLines.length).toBe(5);
      for (const line of attemptLines) expect(line).toMatchObject({ job_id: expect.stringMatching(/\S/), job: "deliver-webhook", queue: expect.any(String) });
      const jobIds = await h.deps.queues.deliveries.getJobs(["completed"]).then((jobs) => jobs.map((job) => job.id));
      expect(jobIds).toContain(attemptLines[0]!.job_id);
    } finally {
      await running.close();
      await Promise.all([ok.close(), broken.close()]);
      await h.close();
    }
  });
});

describe("/admin/queues", () => {
  test("is off without ADMIN_TOKEN", async () => {
    expect((await open.api("GET", "/admin/queues", { key: null })).status).toBe(404);
  });

  test("asks a browser for the token, accepts it as Bearer or Basic password", async () => {
    const anonymous = await guarded.api("GET", "/admin/queues", { key: null });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toMatch(/^Basic /);
    expect((await guarded.api("GET", "/admin/queues", { key: null, headers: { authorization: basic("nope") } })).status).toBe(401);
    const page = await guarded.api("GET", "/admin/queues", { key: null, headers: { authorization: basic(TOKEN) } });
    expect(page.status).toBe(200);
    expect(page.text).toContain("<html");
    const api = await guarded.api("GET", "/admin/queues/api/queues", { key: TOKEN });
    expect(api.status).toBe(200);
    expect(api.body.queues.map((q: { name: string }) => q.name)).toContain("{requests}");
    // Read-only unless ADMIN_QUEUE_ACTIONS=true.
    expect(api.body.queues.every((q: { readOnlyMode: boolean }) => q.readOnlyMode === true)).toBe(true);
    expect((await guarded.api("GET", "/admin/queues/api/queues", { key: null })).status).toBe(401);
  });
});

describe("/docs", () => {
  test("serves the reference page and the renderer's bundle from this process (no CDN)", async () => {
    const res = await open.api("GET", "/docs", { key: null });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/text\/html/);
    const scripts = [...res.text.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1]!);
    expect(scripts).toEqual(["/docs/assets/scalar-api-reference.js"]);
    expect(res.text).not.toMatch(/https?:\/\//);
    const bundle = await open.api("GET", scripts[0]!, { key: null });
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get("content-type")).toMatch(/javascript/);
    expect(bundle.text).toContain("createApiReference");
  });
});
