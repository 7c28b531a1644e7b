import { createRoute, z } from "@hono/zod-openapi";
import { listRewards } from "../../../domain/rewards/rewards.js";
import { sendJson } from "../../respond.js";
import type { RegisterRoute } from "../../router.js";
import { commonErrors, jsonResponse, listOf, listQueryOf } from "../../schemas/common.js";
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
  responses: { 200: jsonResponse(listOf(rewardSchema, "RewardList"), "A page of rewards"), ...commonErrors },
});

export const registerListRewards: RegisterRoute = (app, deps) =>
  app.openapi(route, async (c) => sendJson(c, 200, await listRewards(deps.db, c.var.scope, c.req.valid("query"))));
