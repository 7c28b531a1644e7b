import { z } from "@hono/zod-openapi";
import { REDEMPTION_EVENT_TYPES } from "../../domain/events/outbox.js";
import { d, listQueryOf, metadataSchema, objectId, queryId } from "./common.js";
import { REDEMPTION_EXAMPLE, redemptionSchema } from "./redemptions.js";

const URL_EXAMPLE = "https://example.com/webhooks/loyalty";
const url = d(
  z.string().min(1).max(2048),
  "Where events are POSTed: an `http(s)` URL without credentials, up to 2048 characters. Private, loopback and other non-public addresses are `400 parameter_invalid` (unless allowed by `WEBHOOK_ALLOW_HOSTS`).",
  URL_EXAMPLE,
);
const enabledEvents = d(
  z
    .array(z.enum([...REDEMPTION_EVENT_TYPES, "*"]))
    .min(1)
    .max(REDEMPTION_EVENT_TYPES.length + 1),
  'Event types to receive (`loyalty.redemption.*`, docs/api.md §6.2), or `["*"]` for all; at least one.',
  ["loyalty.redemption.applied", "loyalty.redemption.released"],
);
const description = z.string().max(5000);

export const createEndpointBody = z
  .strictObject({
    url,
    enabled_events: enabledEvents,
    description: d(description.optional(), "Your own note about the endpoint, up to 5000 characters.", "Order service"),
    metadata: metadataSchema.optional(),
  })
  .openapi("CreateWebhookEndpoint", {
    description: "Register an endpoint: it is `enabled` at once, and the answer carries its signing `secret` (shown only then).",
    example: { url: URL_EXAMPLE, enabled_events: ["*"], description: "Order service" },
  });

export const updateEndpointBody = z
  .strictObject({
    url: url.optional(),
    enabled_events: enabledEvents.optional(),
    status: d(z.enum(["enabled", "disabled"]).optional(), "`disabled` stops deliveries (pending ones are canceled); `enabled` resumes them for new events.", "disabled"),
    description: d(description.nullable().optional(), "Your own note, up to 5000 characters; `null` clears it.", null),
    metadata: metadataSchema.optional(),
  })
  .openapi("UpdateWebhookEndpoint", { description: "Change an endpoint; only the fields sent change.", example: { enabled_events: ["*"], status: "enabled" } });

export const ENDPOINT_EXAMPLE = {
  id: "we_8sd2k1",
  object: "webhook_endpoint",
  url: URL_EXAMPLE,
  enabled_events: ["*"],
  status: "enabled",
  description: null,
  metadata: {},
  livemode: false,
  created: 1767225600,
} as const;

const endpointFields = {
  id: d(z.string(), "Unique id, `we_` and 24 base62 characters.", ENDPOINT_EXAMPLE.id),
  object: d(z.literal("webhook_endpoint"), "Always `webhook_endpoint`.", "webhook_endpoint"),
  url: d(z.string(), "Where events are POSTed.", URL_EXAMPLE),
  enabled_events: d(z.array(z.string()), 'The event types it receives, or `["*"]` for all.', ["*"]),
  status: d(z.enum(["enabled", "disabled"]), "`enabled`, or `disabled` (receives nothing; set by `PATCH`, or by a `410 Gone` answer).", "enabled"),
  description: d(z.string().nullable(), "Your own note; `null` if none.", null),
  metadata: metadataSchema,
  livemode: d(z.boolean(), "`true` in live mode, `false` in test mode: it receives that mode's events.", false),
  created: d(z.number().int(), "Unix seconds when it was created.", ENDPOINT_EXAMPLE.created),
};

const SECRET_EXAMPLE = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

export const endpointSchema = z
  .object(endpointFields)
  .openapi("WebhookEndpoint", { description: "Where outbound events are delivered (docs/api.md §6.1). The signing secret is never shown here.", example: ENDPOINT_EXAMPLE });
export const endpointWithSecretSchema = z
  .object({
    ...endpointFields,
    secret: d(
      z.string(),
      "The signing secret (`whsec_…`) for verifying deliveries; shown only in the create and rotate answers (and their replays). After a rotation the previous secret keeps signing beside it for 24 hours.",
      SECRET_EXAMPLE,
    ),
  })
  .openapi("WebhookEndpointWithSecret", {
    description: "A webhook endpoint with its signing secret: the answer to create and rotate-secret only. Store the secret now.",
    example: { ...ENDPOINT_EXAMPLE, secret: SECRET_EXAMPLE },
  });
export const deletedEndpointSchema = z
  .object({
    id: d(z.string(), "The deleted endpoint's id (`we_…`).", ENDPOINT_EXAMPLE.id),
    object: d(z.literal("webhook_endpoint"), "Always `webhook_endpoint`.", "webhook_endpoint"),
    deleted: d(z.literal(true), "Always `true`: it receives nothing more, and is `404` from now on.", true),
  })
  .openapi("DeletedWebhookEndpoint", { description: "The answer to a delete.", example: { id: ENDPOINT_EXAMPLE.id, object: "webhook_endpoint", deleted: true } });

export const ATTEMPT_EXAMPLE = {
  id: "whatt_5rY7pL0d3kT9wQ1mZx2bN9cV",
  object: "webhook_attempt",
  event: "evt_3kT9wQ1mZx8bN2cV5rY7pL0d",
  endpoint: "we_8sd2k1",
  attempt: 1,
  status_code: 500,
  duration_ms: 12,
  error: "http_status",
  created: 1767225601,
  next_attempt_at: 1767225661,
} as const;

export const attemptSchema = z
  .object({
    id: d(z.string(), "Unique id, `whatt_` and 24 base62 characters.", ATTEMPT_EXAMPLE.id),
    object: d(z.literal("webhook_attempt"), "Always `webhook_attempt`.", "webhook_attempt"),
    event: d(z.string(), "The event (`evt_…`) delivered.", ATTEMPT_EXAMPLE.event),
    endpoint: d(z.string(), "The endpoint (`we_…`) it was sent to.", ATTEMPT_EXAMPLE.endpoint),
    attempt: d(z.number().int(), "Which attempt of its delivery this was: 1 for the first (a redelivery counts afresh from 1).", 1),
    status_code: d(z.number().int().nullable(), "The HTTP status the endpoint answered; `null` when no answer came (timeout, connection, DNS or TLS failure, blocked address).", 500),
    duration_ms: d(z.number().int(), "Milliseconds from sending to the answer (or to the failure).", 12),
    error: d(
      z.enum(["timeout", "connect", "dns", "tls", "http_status", "ssrf_blocked"]).nullable(),
      "Why it failed: `timeout`, `connect`, `dns`, `tls`, `http_status` (a non-2xx answer, redirects included) or `ssrf_blocked` (a non-public address); `null` on success.",
      "http_status",
    ),
    created: d(z.number().int(), "Unix seconds when the attempt was made.", ATTEMPT_EXAMPLE.created),
    next_attempt_at: d(z.number().int().nullable(), "Unix seconds of the next attempt after a failure; `null` on success and on the final attempt.", ATTEMPT_EXAMPLE.next_attempt_at),
  })
  .openapi("WebhookAttempt", { description: "One HTTP attempt to deliver an event to an endpoint (docs/api.md §6.4).", example: ATTEMPT_EXAMPLE });

export const attemptsQuery = listQueryOf("whatt").extend({ event: queryId("evt", "event", "Only the attempts to deliver this event (`evt_…`); a malformed id is `400 parameter_invalid`.") });

export const EVENT_EXAMPLE = {
  id: "evt_3kT9wQ1mZx8bN2cV5rY7pL0d",
  object: "event",
  type: "loyalty.redemption.created",
  data: { object: REDEMPTION_EXAMPLE },
  livemode: false,
  created: 1767225600,
} as const;

export const eventSchema = z
  .object({
    id: d(z.string(), "Unique id, `evt_` and 24 base62 characters; the `webhook-id` of every delivery of it (deduplicate on it).", EVENT_EXAMPLE.id),
    object: d(z.literal("event"), "Always `event`.", "event"),
    type: d(z.enum(REDEMPTION_EVENT_TYPES), "What happened (docs/api.md §6.2).", EVENT_EXAMPLE.type),
    data: z
      .object({ object: redemptionSchema })
      .openapi({ description: "The redemption, as it was at the version this event records; order a redemption's events by `data.object.version`.", example: EVENT_EXAMPLE.data }),
    livemode: d(z.boolean(), "`true` in live mode, `false` in test mode.", false),
    created: d(z.number().int(), "Unix seconds when it was written.", EVENT_EXAMPLE.created),
  })
  .openapi("Event", { description: "A change of a redemption, as delivered to webhook endpoints; kept at least 30 days.", example: EVENT_EXAMPLE });

export const eventsQuery = listQueryOf("evt").extend({
  type: z
    .string()
    .max(100)
    .optional()
    .openapi({ param: { name: "type", in: "query", description: "Only events of this type (exact match, e.g. `loyalty.redemption.applied`)." }, example: "loyalty.redemption.applied" }),
});

export const redeliverBody = z
  .strictObject({
    endpoint: d(
      objectId("we").optional(),
      "Send only to this endpoint (`we_…`), even if it is not subscribed to the event's type; a disabled one is `400 parameter_invalid`. Without it: every enabled endpoint subscribed to the type.",
      "we_8sd2k1",
    ),
  })
  .openapi("RedeliverEvent", { description: "Send an event again, as a new delivery with its own attempts and schedule.", example: { endpoint: "we_8sd2k1" } });

export const redeliverySchema = z
  .object({
    object: d(z.literal("event_redelivery"), "Always `event_redelivery`.", "event_redelivery"),
    event: d(z.string(), "The event (`evt_…`) sent again.", EVENT_EXAMPLE.id),
    endpoints: d(z.array(z.string()), "The endpoints (`we_…`) it is sent to; empty when none is enabled and subscribed.", ["we_8sd2k1"]),
    deliveries: d(z.array(z.string()), "The new deliveries (`dlv_…`), one per endpoint, in the same order.", ["dlv_9cV5rY7pL0d3kT9wQ1mZx2bN"]),
  })
  .openapi("EventRedelivery", {
    description: "The deliveries a redeliver created.",
    example: { object: "event_redelivery", event: EVENT_EXAMPLE.id, endpoints: ["we_8sd2k1"], deliveries: ["dlv_9cV5rY7pL0d3kT9wQ1mZx2bN"] },
  });
