import { createRoute } from "@hono/zod-openapi";
import { createManualTransaction } from "../../../domain/ledger/ledger.js";
import { runInline } from "../../idempotency.js";
import type { RegisterRoute } from "../../router.js";
import { createTransactionBody, pointsTransactionSchema } from "../../schemas/accounts.js";
import { idempotencyHeader, jsonBody, jsonResponse } from "../../schemas/common.js";
import { writeResponses } from "../../schemas/responses.js";

const route = createRoute({
  operationId: "transactions.create",
  method: "post",
  path: "/v1/loyalty/transactions",
  tags: ["Points"],
  summary: "Award (positive amount) or deduct (negative amount) points",
  request: { headers: idempotencyHeader, body: jsonBody(createTransactionBody) },
  responses: writeResponses({ 201: jsonResponse(pointsTransactionSchema, "The ledger entry") }, ["parameter_missing", "resource_missing", "insufficient_points", "account_closed", "balance_limit_exceeded"]),
});

export const registerCreateTransaction: RegisterRoute = (app, deps) =>
  app.openapi(route, async (c) => {
    const input = c.req.valid("json");
    return runInline(c, deps, async (trx) => ({ status: 201, body: await createManualTransaction(trx, c.var.scope, input) })) as never;
  });
