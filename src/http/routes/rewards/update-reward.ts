import { createRoute } from "@hono/zod-openapi";
import { updateReward } from "../../../domain/rewards/rewards.js";
import { runInline } from "../../idempotency.js";
import type { RegisterRoute } from "../../router.js";
import { idempotencyHeader, idParam, jsonBody, jsonResponse } from "../../schemas/common.js";
import { writeResponses } from "../../schemas/responses.js";
import { rewardSchema, updateRewardBody } from "../../schemas/rewards.js";

const route = createRoute({
  operationId: "rewards.update",
  method: "patch",
  path: "/v1/loyalty/rewards/{id}",
  tags: ["Rewards"],
  summary: "Update a reward's name, active flag, inventory or metadata (type, cost and value are fixed)",
  request: { params: idParam("rwd"), headers: idempotencyHeader, body: jsonBody(updateRewardBody) },
  responses: writeResponses({ 200: jsonResponse(rewardSchema, "The updated reward") }, ["resource_missing"]),
});

export const registerUpdateReward: RegisterRoute = (app, deps) =>
  app.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    const patch = c.req.valid("json");
    return runInline(c, deps, async (trx) => ({ status: 200, body: await updateReward(trx, c.var.scope, id, patch) })) as never;
  });
