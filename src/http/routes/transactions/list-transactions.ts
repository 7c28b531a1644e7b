import { createRoute, z } from "@hono/zod-openapi";
import { listPointsTransactions } from "../../../domain/ledger/ledger.js";
import { sendJson } from "../../respond.js";
import type { RegisterRoute } from "../../router.js";
import { TRANSACTION_EXAMPLE, pointsTransactionSchema, transactionTypes } from "../../schemas/accounts.js";
import { jsonResponse, listOf, listQueryOf, queryId } from "../../schemas/common.js";
import { readResponses } from "../../schemas/responses.js";

const route = createRoute({
  operationId: "transactions.list",
  method: "get",
  path: "/v1/loyalty/transactions",
  tags: ["Points"],
  summary: "List points transactions (the ledger), newest first",
  request: {
    query: listQueryOf("ptx").extend({
      account: queryId("loy", "account", "Only this account's ledger (`loy_…`); without it, the whole ledger of the merchant in this mode. A malformed or unknown id is `400 parameter_invalid`."),
      type: z
        .enum(transactionTypes)
        .optional()
        .openapi({ param: { name: "type", in: "query", description: "Only rows of this type: `earn`, `adjustment`, `redemption`, `release` or `reversal`." }, example: "earn" }),
    }),
  },
  responses: readResponses({ 200: jsonResponse(listOf(pointsTransactionSchema, "PointsTransactionList", "points transactions", TRANSACTION_EXAMPLE), "A page of ledger entries") }),
});

export const registerListTransactions: RegisterRoute = (app, deps) =>
  app.openapi(route, async (c) => sendJson(c, 200, await listPointsTransactions(deps.db, c.var.scope, c.req.valid("query"))));
