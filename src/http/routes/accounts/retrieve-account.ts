import { createRoute } from "@hono/zod-openapi";
import { getAccount, serializeAccount } from "../../../domain/accounts/accounts.js";
import { sendJson } from "../../respond.js";
import type { RegisterRoute } from "../../router.js";
import { accountSchema } from "../../schemas/accounts.js";
import { commonErrors, idParam, jsonResponse } from "../../schemas/common.js";

const route = createRoute({
  operationId: "accounts.retrieve",
  method: "get",
  path: "/v1/loyalty/accounts/{id}",
  tags: ["Loyalty accounts"],
  summary: "Retrieve a loyalty account",
  request: { params: idParam("loy") },
  responses: { 200: jsonResponse(accountSchema, "The account"), ...commonErrors },
});

export const registerRetrieveAccount: RegisterRoute = (app, deps) =>
  app.openapi(route, async (c) => sendJson(c, 200, serializeAccount(await getAccount(deps.db, c.var.scope, c.req.valid("param").id))));
