import { createRoute, z } from "@hono/zod-openapi";
import { listRedemptions } from "../../../domain/redemptions/queries.js";
import { sendJson } from "../../respond.js";
import type { RegisterRoute } from "../../router.js";
import { jsonResponse, listOf, listQueryOf, queryId } from "../../schemas/common.js";
import { readResponses } from "../../schemas/responses.js";
import { REDEMPTION_EXAMPLE, redemptionSchema, redemptionStatuses } from "../../schemas/redemptions.js";

const route = createRoute({
  operationId: "redemptions.list",
  method: "get",
  path: "/v1/loyalty/redemptions",
  tags: ["Redemptions"],
  summary: "List redemptions, newest first; `code` finds the redemption behind a live discount code",
  request: {
    query: listQueryOf("rdm").extend({
      account: queryId("loy", "account", "Only this account's redemptions (`loy_…`); a malformed id is `400 parameter_invalid`."),
      status: z
        .enum(redemptionStatuses)
        .optional()
        .openapi({ param: { name: "status", in: "query", description: "Only redemptions in this status." }, example: "pending" }),
      reward: queryId("rwd", "reward", "Only redemptions of this reward (`rwd_…`); a malformed id is `400 parameter_invalid`."),
      code: z
        .string()
        .max(64)
        .optional()
        .openapi({
          param: { name: "code", in: "query", description: "The redemption behind this discount code, case-insensitively, while the code is usable or used (`pending` or `applied`); a released or reversed code matches nothing." },
          example: "VINR-6T6DJ4BK",
        }),
    }),
  },
  responses: readResponses({ 200: jsonResponse(listOf(redemptionSchema, "RedemptionList", "redemptions", REDEMPTION_EXAMPLE), "A page of redemptions") }),
});

export const registerListRedemptions: RegisterRoute = (app, deps) =>
  app.openapi(route, async (c) => sendJson(c, 200, await listRedemptions(deps.db, c.var.scope, c.req.valid("query"))));
