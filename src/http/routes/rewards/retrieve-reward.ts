import { createRoute } from "@hono/zod-openapi";
import { getReward, serializeReward } from "../../../domain/rewards/rewards.js";
import { sendJson } from "../../respond.js";
import type { RegisterRoute } from "../../router.js";
import { idParam, jsonResponse } from "../../schemas/common.js";
import { readResponses } from "../../schemas/responses.js";
import { rewardSchema } from "../../schemas/rewards.js";

const route = createRoute({
  operationId: "rewards.retrieve",
  method: "get",
  path: "/v1/loyalty/rewards/{id}",
  tags: ["Rewards"],
  summary: "Retrieve a reward",
  request: { params: idParam("rwd") },
  responses: readResponses({ 200: jsonResponse(rewardSchema, "The reward") }, ["resource_missing"]),
});

export const registerRetrieveReward: RegisterRoute = (app, deps) =>
  app.openapi(route, async (c) => sendJson(c, 200, serializeReward(await getReward(deps.db, c.var.scope, c.req.valid("param").id))));
