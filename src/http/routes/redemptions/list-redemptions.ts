import { createRoute, z } from "@hono/zod-openapi";
import { listRedemptions } from "../../../domain/redemptions/queries.js";
import { sendJson } from "../../respond.js";
import type { RegisterRoute } from "../../router.js";
import { jsonResponse, listOf, listQueryOf, queryId } from "../../schemas/common.js";
import { readResponses } from "../../schemas/responses.js";
import { redemptionSchema, redemptionStatuses } from "../../schemas/redemptions.js";

const route = createRoute({
  operationId: "redemptions.list",
  method: "get",
  path: "/v1/loyalty/redemptions",
  tags: ["Redemptions"],
  summary: "List redemptions, newest first; `code` finds the redemption behind a live discount code",
  request: {
    query: listQueryOf("rdm").extend({
      account: queryId("loy", "account"),
      status: z.enum(redemptionStatuses).optional(),
      reward: queryId("rwd", "reward"),
      code: z.string().max(64).optional(),
    }),
  },
  responses: readResponses({ 200: jsonResponse(listOf(redemptionSchema, "RedemptionList"), "A page of redemptions") }),
});

export const registerListRedemptions: RegisterRoute = (app, deps) =>
  app.openapi(route, async (c) => sendJson(c, 200, await listRedemptions(deps.db, c.var.scope, c.req.valid("query"))));
