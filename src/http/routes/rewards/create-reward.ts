import { createRoute } from "@hono/zod-openapi";
import { createReward } from "../../../domain/rewards/rewards.js";
import { runInline } from "../../idempotency.js";
import type { RegisterRoute } from "../../router.js";
import { idempotencyHeader, jsonBody, jsonResponse } from "../../schemas/common.js";
import { writeResponses } from "../../schemas/responses.js";
import { createRewardBody, rewardSchema } from "../../schemas/rewards.js";

const route = createRoute({
  operationId: "rewards.create",
  method: "post",
  path: "/v1/loyalty/rewards",
  tags: ["Rewards"],
  summary: "Create a reward in the catalog",
  request: { headers: idempotencyHeader, body: jsonBody(createRewardBody) },
  responses: writeResponses({ 201: jsonResponse(rewardSchema, "The new reward") }, ["parameter_missing"]),
});

export const registerCreateReward: RegisterRoute = (app, deps) =>
  app.openapi(route, async (c) => {
    const input = c.req.valid("json");
    return runInline(c, deps, async (trx) => ({ status: 201, body: await createReward(trx, c.var.scope, input) })) as never;
  });
