import { createRoute } from "@hono/zod-openapi";
import { getReward, serializeReward } from "../../../domain/rewards/rewards.js";
import { sendJson } from "../../respond.js";
import type { RegisterRoute } from "../../router.js";
import { commonErrors, idParam, jsonResponse } from "../../schemas/common.js";
import { rewardSchema } from "../../schemas/rewards.js";

const route = createRoute({
  operationId: "rewards.retrieve",
  method: "get",
  path: "/v1/loyalty/rewards/{id}",
  tags: ["Rewards"],
  summary: "Retrieve a reward",
  request: { params: idParam("rwd") },
  responses: { 200: jsonResponse(rewardSchema, "The reward"), ...commonErrors },
});

export const registerRetrieveReward: RegisterRoute = (app, deps) =>
  app.openapi(route, async (c) => sendJson(c, 200, serializeReward(await getReward(deps.db, c.var.scope, c.req.valid("param").id))));
