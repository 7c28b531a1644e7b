import { createRoute } from "@hono/zod-openapi";
import { getRedemption } from "../../../domain/redemptions/queries.js";
import { serializeRedemption } from "../../../domain/redemptions/serialize.js";
import { sendJson } from "../../respond.js";
import type { RegisterRoute } from "../../router.js";
import { idParam, jsonResponse } from "../../schemas/common.js";
import { readResponses } from "../../schemas/responses.js";
import { redemptionSchema } from "../../schemas/redemptions.js";

const route = createRoute({
  operationId: "redemptions.retrieve",
  method: "get",
  path: "/v1/loyalty/redemptions/{id}",
  tags: ["Redemptions"],
  summary: "Retrieve a redemption",
  request: { params: idParam("rdm") },
  responses: readResponses({ 200: jsonResponse(redemptionSchema, "The redemption") }, ["resource_missing"]),
});

export const registerRetrieveRedemption: RegisterRoute = (app, deps) =>
  app.openapi(route, async (c) =>
    sendJson(c, 200, serializeRedemption(await getRedemption(deps.db, c.var.scope, c.req.valid("param").id))),
  );
