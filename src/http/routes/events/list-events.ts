import { createRoute } from "@hono/zod-openapi";
import { listEvents } from "../../../domain/webhooks/events.js";
import { sendJson } from "../../respond.js";
import type { RegisterRoute } from "../../router.js";
import { jsonResponse, listOf } from "../../schemas/common.js";
import { readResponses } from "../../schemas/responses.js";
import { EVENT_EXAMPLE, eventSchema, eventsQuery } from "../../schemas/webhooks.js";

const route = createRoute({
  operationId: "events.list",
  method: "get",
  path: "/v1/events",
  tags: ["Events"],
  summary: "List events (kept at least 30 days), newest first",
  request: { query: eventsQuery },
  responses: readResponses({ 200: jsonResponse(listOf(eventSchema, "EventList", "events", EVENT_EXAMPLE), "A page of events") }),
});

export const registerListEvents: RegisterRoute = (app, deps) =>
  app.openapi(route, async (c) => sendJson(c, 200, await listEvents(deps.db, c.var.scope, c.req.valid("query"))));
