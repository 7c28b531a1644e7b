import { createRoute } from "@hono/zod-openapi";
import { runInWorker } from "../../idempotency.js";
import type { RegisterRoute } from "../../router.js";
import { idempotencyHeader, idParam, jsonBody, jsonResponse } from "../../schemas/common.js";
import { writeResponses } from "../../schemas/responses.js";
import { redemptionSchema, reverseRedemptionBody } from "../../schemas/redemptions.js";

const route = createRoute({
  operationId: "redemptions.reverse",
  method: "post",
  path: "/v1/loyalty/redemptions/{id}/reverse",
  tags: ["Redemptions"],
  summary: "Reverse a redemption: points back, artifact voided, inventory restored",
  request: { params: idParam("rdm"), headers: idempotencyHeader, body: jsonBody(reverseRedemptionBody) },
  responses: writeResponses({ 200: jsonResponse(redemptionSchema, "The reversed redemption") }, ["parameter_missing", "resource_missing", "invalid_state_transition", "redemption_already_applied", "balance_limit_exceeded", "outcome_unknown"]),
});

export const registerReverseRedemption: RegisterRoute = (app, deps) =>
  app.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    return runInWorker(c, deps, "redemption.reverse", { id, reason: c.req.valid("json").reason }) as never;
  });
