import { createRoute } from "@hono/zod-openapi";
import { assertDeliverableUrl } from "../../../domain/webhooks/endpoint-url.js";
import { updateEndpoint } from "../../../domain/webhooks/endpoints.js";
import { runInline } from "../../idempotency.js";
import type { RegisterRoute } from "../../router.js";
import { idempotencyHeader, idParam, jsonBody, jsonResponse } from "../../schemas/common.js";
import { writeResponses } from "../../schemas/responses.js";
import { endpointSchema, updateEndpointBody } from "../../schemas/webhooks.js";

const route = createRoute({
  operationId: "webhookEndpoints.update",
  method: "patch",
  path: "/v1/webhook-endpoints/{id}",
  tags: ["Webhook endpoints"],
  summary: "Update an endpoint's url, enabled_events, status, description or metadata",
  request: { params: idParam("we"), headers: idempotencyHeader, body: jsonBody(updateEndpointBody) },
  responses: writeResponses({ 200: jsonResponse(endpointSchema, "The updated endpoint") }, ["resource_missing"]),
});

export const registerUpdateWebhookEndpoint: RegisterRoute = (app, deps) =>
  app.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    const patch = c.req.valid("json");
    if (patch.url !== undefined) await assertDeliverableUrl(patch.url, deps.config.WEBHOOK_ALLOW_HOSTS);
    return runInline(c, deps, async (trx) => ({ status: 200, body: await updateEndpoint(trx, c.var.scope, id, patch) })) as never;
  });
