import { createRoute } from "@hono/zod-openapi";
import { assertDeliverableUrl } from "../../../domain/webhooks/endpoint-url.js";
import { createEndpoint } from "../../../domain/webhooks/endpoints.js";
import { runInline } from "../../idempotency.js";
import { sealSecret, unsealResponse } from "./sealed-secret.js";
import type { RegisterRoute } from "../../router.js";
import { idempotencyHeader, jsonBody, jsonResponse } from "../../schemas/common.js";
import { writeResponses } from "../../schemas/responses.js";
import { createEndpointBody, endpointWithSecretSchema } from "../../schemas/webhooks.js";

const route = createRoute({
  operationId: "webhookEndpoints.create",
  method: "post",
  path: "/v1/webhook-endpoints",
  tags: ["Webhook endpoints"],
  summary: "Register a webhook endpoint; the signing secret is in this response only",
  request: { headers: idempotencyHeader, body: jsonBody(createEndpointBody) },
  responses: writeResponses({ 201: jsonResponse(endpointWithSecretSchema, "The new endpoint, with its secret") }, ["parameter_missing"]),
});

export const registerCreateWebhookEndpoint: RegisterRoute = (app, deps) =>
  app.openapi(route, async (c) => {
    const input = c.req.valid("json");
    await assertDeliverableUrl(input.url, deps.config.WEBHOOK_ALLOW_HOSTS);
    // A retry with the same key replays the secret (sealed at rest): a client that lost the first
    // answer can still learn it, within the idempotency window only.
    const key = deps.config.WEBHOOK_SECRET_KEY;
    const response = await runInline(c, deps, async (trx) => ({ status: 201, body: sealSecret(await createEndpoint(trx, c.var.scope, input, key), key) }));
    return (await unsealResponse(response, key)) as never;
  });
