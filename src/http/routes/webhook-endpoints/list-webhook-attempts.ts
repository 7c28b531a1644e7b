import { createRoute } from "@hono/zod-openapi";
import { listAttempts } from "../../../domain/webhooks/attempts.js";
import { sendJson } from "../../respond.js";
import type { RegisterRoute } from "../../router.js";
import { idParam, jsonResponse, listOf } from "../../schemas/common.js";
import { readResponses } from "../../schemas/responses.js";
import { ATTEMPT_EXAMPLE, attemptSchema, attemptsQuery } from "../../schemas/webhooks.js";

const route = createRoute({
  operationId: "webhookEndpoints.listAttempts",
  method: "get",
  path: "/v1/webhook-endpoints/{id}/attempts",
  tags: ["Webhook endpoints"],
  summary: "The endpoint's delivery attempts log, newest first (optionally for one event)",
  request: { params: idParam("we"), query: attemptsQuery },
  responses: readResponses({ 200: jsonResponse(listOf(attemptSchema, "WebhookAttemptList", "delivery attempts", ATTEMPT_EXAMPLE), "A page of attempts") }, ["resource_missing"]),
});

export const registerListWebhookAttempts: RegisterRoute = (app, deps) =>
  app.openapi(route, async (c) => sendJson(c, 200, await listAttempts(deps.db, c.var.scope, c.req.valid("param").id, c.req.valid("query"))));
