import { createRoute } from "@hono/zod-openapi";
import { getEndpoint, serializeEndpoint } from "../../../domain/webhooks/endpoints.js";
import { sendJson } from "../../respond.js";
import type { RegisterRoute } from "../../router.js";
import { idParam, jsonResponse } from "../../schemas/common.js";
import { readResponses } from "../../schemas/responses.js";
import { endpointSchema } from "../../schemas/webhooks.js";

const route = createRoute({
  operationId: "webhookEndpoints.retrieve",
  method: "get",
  path: "/v1/webhook-endpoints/{id}",
  tags: ["Webhook endpoints"],
  summary: "Retrieve a webhook endpoint (without its secret)",
  request: { params: idParam("we") },
  responses: readResponses({ 200: jsonResponse(endpointSchema, "The endpoint") }, ["resource_missing"]),
});

export const registerRetrieveWebhookEndpoint: RegisterRoute = (app, deps) =>
  app.openapi(route, async (c) => sendJson(c, 200, serializeEndpoint(await getEndpoint(deps.db, c.var.scope, c.req.valid("param").id))));
