import { sql } from "kysely";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { DATA_ERROR_LOG } from "../../src/db/data-errors.js";
import { executePendingRequest } from "../../src/domain/requests/execute-pending-request.js";
import { claimRequest, findRequest } from "../../src/domain/requests/requests.js";
import { onError } from "../../src/http/middleware/errors.js";
import { requestContext } from "../../src/http/middleware/request-context.js";
import { createRouter } from "../../src/http/router.js";
import { newId } from "../../src/ids.js";
import { createAccount, createReward } from "../helpers/factories.js";
import { startHarness, type Harness } from "../helpers/harness.js";

/**
 * The backstop behind validation: a value Postgres refuses (SQLSTATE class 22, 23514) is a 400, logged
 * as a bug, never a 500, and in a worker a stored refusal rather than a job failing until dead-lettered.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({}, { workers: false });
});
afterAll(async () => h?.close());

const silentLogger = () => {
  const logger = pino({ level: "silent" });
  return { logger, error: vi.spyOn(logger, "error") };
};

describe("Postgres data errors", () => {
  test.each([
    ["22021 NUL in text", sql`SELECT ${"a\u0000b"}::text`],
    ["22P02 not a number", sql`SELECT ${"1.5"}::bigint`],
    ["22003 out of range", sql`SELECT ${"99999999999"}::integer`],
    ["22012 division by zero", sql`SELECT 1 / ${0}::integer`],
  ])("%s in a web request is a 400 parameter_invalid, logged at error level", async (_name, query) => {
    const { logger, error } = silentLogger();
    const app = createRouter();
    app.use("*", requestContext(logger));
    app.onError(onError);
    app.get("/x", async () => {
      await query.execute(h.deps.db);
      return new Response("unreachable");
    });
    const res = await app.request("/x");
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: unknown }).error).toMatchObject({ type: "invalid_request_error", code: "parameter_invalid" });
    expect(error).toHaveBeenCalledWith(expect.anything(), DATA_ERROR_LOG);
  });

  test("one inside a worker operation is stored as the request's 400 and changes nothing", async () => {
    const account = await createAccount(h, 1000);
    const reward = await createReward(h, "discount_amount", { cost: 1 });
    const id = newId("idempotency");
    // quantity 1.5 passes no schema, but a stored request is only ever read back by a worker: Postgres
    // refuses it as bigint text (22P02) deep inside the operation.
    await claimRequest(
      h.deps.db,
      { scope: { merchantId: h.merchant.merchant, livemode: false }, key: `k-${id}`, clientKey: true, method: "POST", path: "/v1/loyalty/redemptions", requestHash: "t", requestId: newId("request") },
      id,
      { operation: "redemption.create", params: { account: account.id, reward: reward.id, quantity: 1.5 }, budgetMs: 60_000 },
    );
    const { logger, error } = silentLogger();
    const outcome = await executePendingRequest(h.deps.db, id, { pendingTtlSeconds: 1800, logger });
    expect(outcome).toMatchObject({ outcome: "completed", status: 400 });
    expect(JSON.parse((outcome as { body: string }).body).error.code).toBe("parameter_invalid");
    expect(error).toHaveBeenCalledWith(expect.objectContaining({ request: id }), DATA_ERROR_LOG);
    expect((await findRequest(h.deps.db, id))?.status).toBe("completed");
    expect(await h.deps.db.selectFrom("redemptions").select("id").where("account_id", "=", account.id).execute()).toEqual([]);
    const { balance } = await h.deps.db.selectFrom("loyalty_accounts").select("balance").where("id", "=", account.id).executeTakeFirstOrThrow();
    expect(balance).toBe(1000);
  });
});
