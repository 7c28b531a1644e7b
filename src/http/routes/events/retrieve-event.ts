import { createRoute } from "@hono/zod-openapi";
import { getEventPayload } from "../../../domain/webhooks/events.js";
import { sendStored } from "../../respond.js";
import type { RegisterRoute } from "../../router.js";
import { idParam, jsonResponse } from "../../schemas/common.js";
import { readResponses } from "../../schemas/responses.js";
import { eventSchema } from "../../schemas/webhooks.js";

const route = createRoute({
  operationId: "events.retrieve",
  method: "get",
  path: "/v1/events/{id}",
  tags: ["Events"],
  summary: "Retrieve an event: exactly the bytes its deliveries carry",
  request: { params: idParam("evt") },
  responses: readResponses({ 200: jsonResponse(eventSchema, "The event") }, ["resource_missing"]),
});

export const registerRetrieveEvent: RegisterRoute = (app, deps) =>
  app.openapi(route, async (c) => sendStored(c, { status: 200, body: await getEventPayload(deps.db, c.var.scope, c.req.valid("param").id) }));
