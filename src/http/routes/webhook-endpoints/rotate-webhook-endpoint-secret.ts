import { createRoute } from "@hono/zod-openapi";
import { rotateEndpointSecret } from "../../../domain/webhooks/endpoints.js";
import { runInline } from "../../idempotency.js";
import { sealSecret, unsealResponse } from "./sealed-secret.js";
import type { RegisterRoute } from "../../router.js";
import { idempotencyHeader, idParam, noParameters, jsonResponse } from "../../schemas/common.js";
import { writeResponses } from "../../schemas/responses.js";
import { endpointWithSecretSchema } from "../../schemas/webhooks.js";

const route = createRoute({
  operationId: "webhookEndpoints.rotateSecret",
  method: "post",
  path: "/v1/webhook-endpoints/{id}/rotate-secret",
  tags: ["Webhook endpoints"],
  summary: "Issue a new signing secret; the old one keeps signing alongside it for 24 hours",
  request: { params: idParam("we"), headers: idempotencyHeader, body: noParameters },
  responses: writeResponses({ 200: jsonResponse(endpointWithSecretSchema, "The endpoint with its new secret (shown only here)") }, ["resource_missing"]),
});

export const registerRotateWebhookEndpointSecret: RegisterRoute = (app, deps) =>
  app.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    const key = deps.config.WEBHOOK_SECRET_KEY;
    const response = await runInline(c, deps, async (trx) => ({ status: 200, body: sealSecret(await rotateEndpointSecret(trx, c.var.scope, id, key), key) }));
    return (await unsealResponse(response, key)) as never;
  });
