import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { InboundSource } from "../../../db/tables/inbound-webhook.table.js";
import { findInboundSecrets, storeInboundWebhook } from "../../../domain/inbound/inbox.js";
import { ApiError } from "../../../errors.js";
import { enqueue } from "../../../queue/producer.js";
import { verifyWebhook } from "../../../webhooks/standard-webhooks.js";
import type { AppDeps, AppEnv } from "../../env.js";
import { sendJson } from "../../respond.js";
import type { Router } from "../../router.js";
import { errorSchema } from "../../schemas/common.js";

const SOURCES: InboundSource[] = ["payments", "warehouse"];

/** One answer for every authentication failure, so a caller cannot probe which merchants exist. */
const unauthorized = () => new ApiError("signature_invalid", "The webhook signature could not be verified.");

/**
 * `POST /webhooks/:merchant/payments|warehouse` (API.md §5): verify the signature over the raw bytes,
 * store the event, answer, then process in a job. Not under /v1: the signature is the authentication.
 */
export function registerInboundWebhooks(app: Router, deps: AppDeps): void {
  for (const source of SOURCES) {
    app.post(`/webhooks/:merchant/${source}`, (c) => receive(c, deps, source));
    // Documented by hand: the body is verified as raw bytes, so no validator may parse it first.
    app.openAPIRegistry.registerPath({
      method: "post",
      path: `/webhooks/{merchant}/${source}`,
      tags: ["Inbound webhooks"],
      summary: `Signed ${source} events (Standard Webhooks); stored, then processed asynchronously`,
      security: [],
      request: {
        params: z.object({ merchant: z.string().openapi({ param: { name: "merchant", in: "path" }, example: "mer_8sd2k1" }) }),
        headers: z.object({ "webhook-id": z.string(), "webhook-timestamp": z.string(), "webhook-signature": z.string() }),
        body: { required: true, content: { "application/json": { schema: inboundEnvelope } } },
      },
      responses: {
        200: { description: "Stored (or already stored)", content: { "application/json": { schema: receivedSchema } } },
        400: { description: "Not a JSON object with a `type`", content: { "application/json": { schema: errorSchema } } },
        401: { description: "Signature, timestamp or merchant not valid; nothing stored", content: { "application/json": { schema: errorSchema } } },
        413: { description: "Body larger than 64 KiB", content: { "application/json": { schema: errorSchema } } },
      },
    });
  }
}

const inboundEnvelope = z
  .object({ id: z.string(), type: z.string(), created: z.number().int(), livemode: z.boolean(), data: z.object({ object: z.record(z.string(), z.unknown()) }) })
  .openapi("InboundEvent");
const receivedSchema = z.object({ received: z.literal(true), duplicate: z.boolean() }).openapi("InboundReceived");

async function receive(c: Context<AppEnv>, deps: AppDeps, source: InboundSource): Promise<Response> {
  const merchantId = c.req.param("merchant") ?? "";
  // Exact bytes as sent (UTF-8): a re-serialised body would not verify.
  const rawBody = await c.req.text();
  const secrets = merchantId.length <= 64 ? await findInboundSecrets(deps.db, merchantId, source) : [];
  const verified = verifyWebhook(secrets, rawBody, c.req.header());
  if (!verified.ok) {
    c.var.logger.info({ merchant: merchantId, source, reason: verified.reason }, "inbound webhook refused");
    throw unauthorized();
  }

  const envelope = parseEnvelope(rawBody);
  const webhookId = verified.messageId;
  if (webhookId.length > 255) throw new ApiError("parameter_invalid", "webhook-id is longer than 255 characters.", "webhook-id");
  const stored = await storeInboundWebhook(deps.db, {
    merchantId,
    source,
    webhookId,
    eventType: envelope.type,
    livemode: envelope.livemode,
    payload: rawBody,
  });

  if (!stored.duplicate) {
    // The row is committed: from here the event is ours. If Redis is away, the sweeper re-drives it.
    try {
      await enqueue(deps.queues, "process-inbound-webhook", { inboxId: stored.id }, { jobId: stored.id });
    } catch (error) {
      c.var.logger.warn({ err: error, inbox: stored.id }, "enqueue failed; the inbox sweeper will process it");
    }
  }
  return sendJson(c, 200, { received: true, duplicate: stored.duplicate });
}

/**
 * The envelope must be a JSON object with a string `type`; anything else cannot be processed and is
 * refused (400) rather than stored. `livemode` absent counts as test mode: a live redemption is only
 * ever touched by an event that says it is live.
 */
function parseEnvelope(rawBody: string): { type: string; livemode: boolean } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(rawBody);
  } catch {
    throw new ApiError("body_invalid", "The webhook body is not valid JSON.");
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new ApiError("body_invalid", "The webhook body must be a JSON object.");
  }
  const { type, livemode } = parsed as { type?: unknown; livemode?: unknown };
  if (typeof type !== "string" || type.length === 0 || type.length > 200) {
    throw new ApiError("body_invalid", "The webhook body needs a string `type`.");
  }
  return { type, livemode: livemode === true };
}
