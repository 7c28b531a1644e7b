import { createRoute } from "@hono/zod-openapi";
import { deleteEndpoint } from "../../../domain/webhooks/endpoints.js";
import { runInline } from "../../idempotency.js";
import type { RegisterRoute } from "../../router.js";
import { idempotencyHeader, idParam, jsonResponse } from "../../schemas/common.js";
import { writeResponses } from "../../schemas/responses.js";
import { deletedEndpointSchema } from "../../schemas/webhooks.js";

const route = createRoute({
  operationId: "webhookEndpoints.delete",
  method: "delete",
  path: "/v1/webhook-endpoints/{id}",
  tags: ["Webhook endpoints"],
  summary: "Delete an endpoint; pending deliveries to it are canceled",
  request: { params: idParam("we"), headers: idempotencyHeader },
  responses: writeResponses({ 200: jsonResponse(deletedEndpointSchema, "The endpoint was deleted") }, ["resource_missing"]),
});

export const registerDeleteWebhookEndpoint: RegisterRoute = (app, deps) =>
  app.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    return runInline(c, deps, async (trx) => ({ status: 200, body: await deleteEndpoint(trx, c.var.scope, id) })) as never;
  });
