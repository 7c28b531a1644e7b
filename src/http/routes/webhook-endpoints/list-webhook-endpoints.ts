import { createRoute } from "@hono/zod-openapi";
import { listEndpoints } from "../../../domain/webhooks/endpoints.js";
import { sendJson } from "../../respond.js";
import type { RegisterRoute } from "../../router.js";
import { jsonResponse, listOf, listQueryOf } from "../../schemas/common.js";
import { readResponses } from "../../schemas/responses.js";
import { ENDPOINT_EXAMPLE, endpointSchema } from "../../schemas/webhooks.js";

const route = createRoute({
  operationId: "webhookEndpoints.list",
  method: "get",
  path: "/v1/webhook-endpoints",
  tags: ["Webhook endpoints"],
  summary: "List webhook endpoints, newest first",
  request: { query: listQueryOf("we") },
  responses: readResponses({ 200: jsonResponse(listOf(endpointSchema, "WebhookEndpointList", "webhook endpoints", ENDPOINT_EXAMPLE), "A page of endpoints") }),
});

export const registerListWebhookEndpoints: RegisterRoute = (app, deps) =>
  app.openapi(route, async (c) => sendJson(c, 200, await listEndpoints(deps.db, c.var.scope, c.req.valid("query"))));
