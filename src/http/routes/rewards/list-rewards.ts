import { createRoute, z } from "@hono/zod-openapi";
import { listRewards } from "../../../domain/rewards/rewards.js";
import { sendJson } from "../../respond.js";
import type { RegisterRoute } from "../../router.js";
import { jsonResponse, listOf, listQueryOf } from "../../schemas/common.js";
import { readResponses } from "../../schemas/responses.js";
import { REWARD_EXAMPLE, rewardSchema } from "../../schemas/rewards.js";

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
        .optional()
        .openapi({ param: { name: "active", in: "query", description: "`true`: only rewards that can be redeemed; `false`: only inactive ones. Without it, both." }, example: "true" }),
    }),
  },
  responses: readResponses({ 200: jsonResponse(listOf(rewardSchema, "RewardList", "rewards", REWARD_EXAMPLE), "A page of rewards") }),
});

export const registerListRewards: RegisterRoute = (app, deps) =>
  app.openapi(route, async (c) => sendJson(c, 200, await listRewards(deps.db, c.var.scope, c.req.valid("query"))));
