import { createRoute } from "@hono/zod-openapi";
import { getAccount, serializeAccount } from "../../../domain/accounts/accounts.js";
import { sendJson } from "../../respond.js";
import type { RegisterRoute } from "../../router.js";
import { accountSchema } from "../../schemas/accounts.js";
import { idParam, jsonResponse } from "../../schemas/common.js";
import { readResponses } from "../../schemas/responses.js";

const route = createRoute({
  operationId: "accounts.retrieve",
  method: "get",
  path: "/v1/loyalty/accounts/{id}",
  tags: ["Loyalty accounts"],
  summary: "Retrieve a loyalty account",
  request: { params: idParam("loy") },
  responses: readResponses({ 200: jsonResponse(accountSchema, "The account") }, ["resource_missing"]),
});

export const registerRetrieveAccount: RegisterRoute = (app, deps) =>
  app.openapi(route, async (c) => sendJson(c, 200, serializeAccount(await getAccount(deps.db, c.var.scope, c.req.valid("param").id))));
