import { createRoute } from "@hono/zod-openapi";
import { closeAccount } from "../../../domain/accounts/accounts.js";
import { runInline } from "../../idempotency.js";
import type { RegisterRoute } from "../../router.js";
import { accountSchema } from "../../schemas/accounts.js";
import { idempotencyHeader, idParam, noParameters, jsonResponse } from "../../schemas/common.js";
import { writeResponses } from "../../schemas/responses.js";

const route = createRoute({
  operationId: "accounts.close",
  method: "post",
  path: "/v1/loyalty/accounts/{id}/close",
  tags: ["Loyalty accounts"],
  summary: "Close a loyalty account (it can no longer redeem or earn; pending credit-backs still return)",
  request: { params: idParam("loy"), headers: idempotencyHeader, body: noParameters },
  responses: writeResponses({ 200: jsonResponse(accountSchema, "The closed account") }, ["resource_missing"]),
});

export const registerCloseAccount: RegisterRoute = (app, deps) =>
  app.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    return runInline(c, deps, async (trx) => ({ status: 200, body: await closeAccount(trx, c.var.scope, id) })) as never;
  });
