import { createRoute } from "@hono/zod-openapi";
import { runInWorker } from "../../idempotency.js";
import type { RegisterRoute } from "../../router.js";
import { idempotencyHeader, idParam, noParameters, jsonResponse } from "../../schemas/common.js";
import { writeResponses } from "../../schemas/responses.js";
import { redemptionSchema } from "../../schemas/redemptions.js";

const route = createRoute({
  operationId: "redemptions.release",
  method: "post",
  path: "/v1/loyalty/redemptions/{id}/release",
  tags: ["Redemptions"],
  summary: "Release a pending discount (e.g. an abandoned cart): points back, code voided",
  request: { params: idParam("rdm"), headers: idempotencyHeader, body: noParameters },
  responses: writeResponses({ 200: jsonResponse(redemptionSchema, "The released redemption") }, ["resource_missing", "invalid_state_transition", "balance_limit_exceeded", "outcome_unknown"]),
});

export const registerReleaseRedemption: RegisterRoute = (app, deps) =>
  app.openapi(route, async (c) => runInWorker(c, deps, "redemption.release", { id: c.req.valid("param").id }) as never);
