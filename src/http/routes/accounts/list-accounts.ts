import { createRoute, z } from "@hono/zod-openapi";
import { listAccounts } from "../../../domain/accounts/accounts.js";
import { sendJson } from "../../respond.js";
import type { RegisterRoute } from "../../router.js";
import { ACCOUNT_EXAMPLE, accountSchema } from "../../schemas/accounts.js";
import { jsonResponse, listOf, listQueryOf } from "../../schemas/common.js";
import { readResponses } from "../../schemas/responses.js";

const route = createRoute({
  operationId: "accounts.list",
  method: "get",
  path: "/v1/loyalty/accounts",
  tags: ["Loyalty accounts"],
  summary: "List loyalty accounts, newest first",
  request: {
    query: listQueryOf("loy").extend({
      customer: z
        .string()
        .max(255)
        .optional()
        .openapi({ param: { name: "customer", in: "query", description: "Only the accounts of this `customer` (your identifier, exact match)." }, example: "cus_1" }),
    }),
  },
  responses: readResponses({ 200: jsonResponse(listOf(accountSchema, "LoyaltyAccountList", "loyalty accounts", ACCOUNT_EXAMPLE), "A page of accounts") }),
});

export const registerListAccounts: RegisterRoute = (app, deps) =>
  app.openapi(route, async (c) => sendJson(c, 200, await listAccounts(deps.db, c.var.scope, c.req.valid("query"))));
