import { createRoute } from "@hono/zod-openapi";
import { createAccount } from "../../../domain/accounts/accounts.js";
import { runInline } from "../../idempotency.js";
import type { RegisterRoute } from "../../router.js";
import { accountSchema, createAccountBody } from "../../schemas/accounts.js";
import { idempotencyHeader, jsonBody, jsonResponse } from "../../schemas/common.js";
import { writeResponses } from "../../schemas/responses.js";

const route = createRoute({
  operationId: "accounts.create",
  method: "post",
  path: "/v1/loyalty/accounts",
  tags: ["Loyalty accounts"],
  summary: "Create a loyalty account",
  request: { headers: idempotencyHeader, body: jsonBody(createAccountBody) },
  responses: writeResponses({ 201: jsonResponse(accountSchema, "The new account") }),
});

export const registerCreateAccount: RegisterRoute = (app, deps) =>
  app.openapi(route, async (c) => {
    const input = c.req.valid("json");
    return runInline(c, deps, async (trx) => ({ status: 201, body: await createAccount(trx, c.var.scope, input) })) as never;
  });
