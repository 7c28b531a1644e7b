import { createRoute, z } from "@hono/zod-openapi";
import { listPointsTransactions } from "../../../domain/ledger/ledger.js";
import { sendJson } from "../../respond.js";
import type { RegisterRoute } from "../../router.js";
import { pointsTransactionSchema, transactionTypes } from "../../schemas/accounts.js";
import { jsonResponse, listOf, listQueryOf, queryId } from "../../schemas/common.js";
import { readResponses } from "../../schemas/responses.js";

const route = createRoute({
  operationId: "transactions.list",
  method: "get",
  path: "/v1/loyalty/transactions",
  tags: ["Points"],
  summary: "List points transactions (the ledger), newest first",
  request: { query: listQueryOf("ptx").extend({ account: queryId("loy", "account"), type: z.enum(transactionTypes).optional() }) },
  responses: readResponses({ 200: jsonResponse(listOf(pointsTransactionSchema, "PointsTransactionList"), "A page of ledger entries") }),
});

export const registerListTransactions: RegisterRoute = (app, deps) =>
  app.openapi(route, async (c) => sendJson(c, 200, await listPointsTransactions(deps.db, c.var.scope, c.req.valid("query"))));
