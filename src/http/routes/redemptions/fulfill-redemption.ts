import { createRoute } from "@hono/zod-openapi";
import { runInWorker } from "../../idempotency.js";
import type { RegisterRoute } from "../../router.js";
import { idempotencyHeader, idParam, jsonBody, jsonResponse } from "../../schemas/common.js";
import { writeResponses } from "../../schemas/responses.js";
import { fulfillRedemptionBody, redemptionSchema } from "../../schemas/redemptions.js";

const route = createRoute({
  operationId: "redemptions.fulfill",
  method: "post",
  path: "/v1/loyalty/redemptions/{id}/fulfill",
  tags: ["Redemptions"],
  summary: "Mark a free-product redemption as shipped (fulfillment_pending → fulfilled)",
  request: { params: idParam("rdm"), headers: idempotencyHeader, body: jsonBody(fulfillRedemptionBody) },
  responses: writeResponses({ 200: jsonResponse(redemptionSchema, "The fulfilled redemption") }, ["parameter_missing", "resource_missing", "invalid_state_transition", "outcome_unknown"]),
});

/** Runs in a worker like every redemption change; the handler stores the request and waits. */
export const registerFulfillRedemption: RegisterRoute = (app, deps) =>
  app.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    return runInWorker(c, deps, "redemption.fulfill", { id, ...c.req.valid("json") }) as never;
  });
