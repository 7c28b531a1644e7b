import type { Context } from "hono";
import type { InboundSource } from "../../../db/tables/inbound-webhook.table.js";
import { findInboundSecrets, storeInboundWebhook } from "../../../domain/inbound/inbox.js";
import { ApiError } from "../../../errors.js";
import { enqueue } from "../../../queue/producer.js";
import { verifyWebhook } from "../../../webhooks/standard-webhooks.js";
import type { AppDeps, AppEnv } from "../../env.js";
import { sendJson } from "../../respond.js";
import type { Router } from "../../router.js";

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
  }
}

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
