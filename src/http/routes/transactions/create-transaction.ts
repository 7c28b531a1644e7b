import { createRoute } from "@hono/zod-openapi";
import { createManualTransaction } from "../../../domain/ledger/ledger.js";
import { runInline } from "../../idempotency.js";
import type { RegisterRoute } from "../../router.js";
import { createTransactionBody, pointsTransactionSchema } from "../../schemas/accounts.js";
import { idempotencyHeader, jsonBody, jsonResponse, writeErrors } from "../../schemas/common.js";

const route = createRoute({
  operationId: "transactions.create",
  method: "post",
  path: "/v1/loyalty/transactions",
  tags: ["Points"],
  summary: "Award (positive amount) or deduct (negative amount) points",
  request: { headers: idempotencyHeader, body: jsonBody(createTransactionBody) },
  responses: { 201: jsonResponse(pointsTransactionSchema, "The ledger entry"), ...writeErrors },
});

export const registerCreateTransaction: RegisterRoute = (app, deps) =>
  app.openapi(route, async (c) => {
    const input = c.req.valid("json");
    return runInline(c, deps, async (trx) => ({ status: 201, body: await createManualTransaction(trx, c.var.scope, input) })) as never;
  });
