import { createRoute, z } from "@hono/zod-openapi";
import { listRewards } from "../../../domain/rewards/rewards.js";
import { sendJson } from "../../respond.js";
import type { RegisterRoute } from "../../router.js";
import { jsonResponse, listOf, listQueryOf } from "../../schemas/common.js";
import { readResponses } from "../../schemas/responses.js";
import { rewardSchema } from "../../schemas/rewards.js";

const route = createRoute({
  operationId: "rewards.list",
  method: "get",
  path: "/v1/loyalty/rewards",
  tags: ["Rewards"],
  summary: "List rewards, newest first",
  request: {
    query: listQueryOf("rwd").extend({
      active: z
        .enum(["true", "false"])
        .transform((value) => value === "true")
        .optional(),
    }),
  },
  responses: readResponses({ 200: jsonResponse(listOf(rewardSchema, "RewardList"), "A page of rewards") }),
});

export const registerListRewards: RegisterRoute = (app, deps) =>
  app.openapi(route, async (c) => sendJson(c, 200, await listRewards(deps.db, c.var.scope, c.req.valid("query"))));
