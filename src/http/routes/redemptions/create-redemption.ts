import { createRoute } from "@hono/zod-openapi";
import { runInWorker } from "../../idempotency.js";
import type { RegisterRoute } from "../../router.js";
import { idempotencyHeader, jsonBody, jsonResponse } from "../../schemas/common.js";
import { writeResponses } from "../../schemas/responses.js";
import { createRedemptionBody, redemptionSchema } from "../../schemas/redemptions.js";

const route = createRoute({
  operationId: "redemptions.create",
  method: "post",
  path: "/v1/loyalty/redemptions",
  tags: ["Redemptions"],
  summary: "Spend points for a reward (atomic, idempotent; pass an Idempotency-Key)",
  request: { headers: idempotencyHeader, body: jsonBody(createRedemptionBody) },
  responses: writeResponses({ 201: jsonResponse(redemptionSchema, "The redemption with its artifact") }, ["parameter_missing", "resource_missing", "insufficient_points", "reward_inactive", "reward_out_of_stock", "account_closed", "outcome_unknown"]),
});

/** The debit runs in a worker (README, "How it runs"); this handler stores the request and waits for its outcome. */
export const registerCreateRedemption: RegisterRoute = (app, deps) =>
  app.openapi(route, async (c) => runInWorker(c, deps, "redemption.create", c.req.valid("json")) as never);
