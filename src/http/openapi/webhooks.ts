import { z } from "@hono/zod-openapi";
import { REDEMPTION_EVENT_TYPES, type RedemptionEventType } from "../../domain/events/outbox.js";
import type { Router } from "../router.js";
import { eventSchema } from "../schemas/webhooks.js";

/** When each outbound event is written (docs/api.md §6.2). */
const WRITTEN_WHEN: Record<RedemptionEventType, string> = {
  "loyalty.redemption.created": "A redemption was created (at version 1): points debited, the discount code, credit or fulfillment issued.",
  "loyalty.redemption.applied": "A discount's payment completed, or a store credit was issued (pending → applied).",
  "loyalty.redemption.released": "A pending discount was released: its payment failed, was canceled or expired, `expires_at` passed, or `release` was called. Points are back.",
  "loyalty.redemption.reversed": "A redemption was reversed (`reverse`, or the warehouse's `shipment.returned` / `shipment.canceled`). Points are back, the artifact voided, inventory restored.",
  "loyalty.redemption.fulfilled": "A free product was shipped (`fulfill`, or the warehouse's `shipment.shipped`).",
  "loyalty.redemption.settlement_conflict":
    "A payment completed a redemption that can no longer be applied (already released or reversed), or whose currency or amount cannot carry the discount. Not a status change: `version` is unchanged. Settle it with the customer.",
};

const signatureHeaders = z.object({
  "webhook-id": z.string().openapi({ description: "The event id (`evt_…`), the same on every retry and redelivery: deduplicate on it.", example: "evt_3kT9wQ1mZx8bN2cV5rY7pL0d" }),
  "webhook-timestamp": z.string().openapi({ description: "Unix seconds of this attempt; reject stale ones (the `standardwebhooks` libraries allow 5 minutes).", example: "1767225600" }),
  "webhook-signature": z.string().openapi({
    description:
      "Space-separated `v1,<base64>` entries, one per secret that currently signs (two during a rotation): base64(HMAC-SHA256(key, `<webhook-id>.<webhook-timestamp>.<body>`)), key being the base64 decoding of the secret after `whsec_`. Accept if any entry matches.",
    example: "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=",
  }),
});

const camel = (type: string) => type.replace(/^loyalty\.redemption\./, "").replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** The OpenAPI 3.1 `webhooks` section: one entry per outbound event type, as POSTed to an endpoint. */
export function registerOutboundWebhooks(app: Router): void {
  for (const type of REDEMPTION_EVENT_TYPES) {
    app.openAPIRegistry.registerWebhook({
      method: "post",
      path: type,
      operationId: `webhooks.redemption.${camel(type)}`,
      tags: ["Outbound webhooks"],
      summary: type,
      description: `${WRITTEN_WHEN[type]}\n\nPOSTed to every enabled endpoint subscribed to \`${type}\` (or \`*\`), at least once, signed with Standard Webhooks headers. The body is the Event, with the Redemption at the version this change produced: order a redemption's events by \`data.object.version\`.`,
      security: [],
      request: {
        headers: signatureHeaders,
        body: {
          required: true,
          description: "The Event object, serialised once: byte-identical on every attempt and to `GET /v1/events/{id}`. Verify the signature over these raw bytes.",
          content: { "application/json": { schema: eventSchema } },
        },
      },
      responses: {
        200: { description: "Any 2xx within WEBHOOK_TIMEOUT_MS (10 s) acknowledges the delivery." },
        400: { description: "Any other answer (4xx, 5xx, a redirect, a timeout) is a failure, retried after 1 min, 5 min, 30 min, 2 h and 24 h. `410 Gone` disables the endpoint; a `Retry-After` on 429 or 503 is honoured." },
      },
    });
  }
}
