import { z } from "@hono/zod-openapi";
import { REDEMPTION_EVENT_TYPES } from "../../domain/events/outbox.js";
import { listQueryOf, metadataSchema, objectId, queryId } from "./common.js";
import { redemptionSchema } from "./redemptions.js";

const url = z.string().min(1).max(2048).openapi({ example: "https://example.com/webhooks/loyalty" });
const enabledEvents = z
  .array(z.enum([...REDEMPTION_EVENT_TYPES, "*"]))
  .min(1)
  .max(REDEMPTION_EVENT_TYPES.length + 1)
  .openapi({ description: 'Event types to receive, or ["*"] for all.' });
const description = z.string().max(5000);

export const createEndpointBody = z
  .strictObject({ url, enabled_events: enabledEvents, description: description.optional(), metadata: metadataSchema.optional() })
  .openapi("CreateWebhookEndpoint");

export const updateEndpointBody = z
  .strictObject({
    url: url.optional(),
    enabled_events: enabledEvents.optional(),
    status: z.enum(["enabled", "disabled"]).optional(),
    description: description.nullable().optional(),
    metadata: metadataSchema.optional(),
  })
  .openapi("UpdateWebhookEndpoint");

const endpointFields = {
  id: z.string(),
  object: z.literal("webhook_endpoint"),
  url: z.string(),
  enabled_events: z.array(z.string()),
  status: z.enum(["enabled", "disabled"]),
  description: z.string().nullable(),
  metadata: metadataSchema,
  livemode: z.boolean(),
  created: z.number().int(),
};

export const endpointSchema = z.object(endpointFields).openapi("WebhookEndpoint");
export const endpointWithSecretSchema = z
  .object({ ...endpointFields, secret: z.string().openapi({ description: "whsec_…; shown only in this response." }) })
  .openapi("WebhookEndpointWithSecret");
export const deletedEndpointSchema = z
  .object({ id: z.string(), object: z.literal("webhook_endpoint"), deleted: z.literal(true) })
  .openapi("DeletedWebhookEndpoint");

export const attemptSchema = z
  .object({
    id: z.string(),
    object: z.literal("webhook_attempt"),
    event: z.string(),
    endpoint: z.string(),
    attempt: z.number().int(),
    status_code: z.number().int().nullable(),
    duration_ms: z.number().int(),
    error: z.enum(["timeout", "connect", "dns", "tls", "http_status", "ssrf_blocked"]).nullable(),
    created: z.number().int(),
    next_attempt_at: z.number().int().nullable(),
  })
  .openapi("WebhookAttempt");

export const attemptsQuery = listQueryOf("whatt").extend({ event: queryId("evt", "event") });

export const eventSchema = z
  .object({
    id: z.string(),
    object: z.literal("event"),
    type: z.enum(REDEMPTION_EVENT_TYPES),
    data: z.object({ object: redemptionSchema }),
    livemode: z.boolean(),
    created: z.number().int(),
  })
  .openapi("Event");

export const eventsQuery = listQueryOf("evt").extend({ type: z.string().max(100).optional().openapi({ param: { name: "type", in: "query" } }) });

export const redeliverBody = z.strictObject({ endpoint: objectId("we").optional() }).openapi("RedeliverEvent");
export const redeliverySchema = z
  .object({ object: z.literal("event_redelivery"), event: z.string(), endpoints: z.array(z.string()), deliveries: z.array(z.string()) })
  .openapi("EventRedelivery");
