import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { InboundSource } from "../../../db/tables/inbound-webhook.table.js";
import { verifyInboundWebhook } from "../../../domain/inbound/accept.js";
import { ApiError } from "../../../errors.js";
import { logEnqueueFailure } from "../../../ops/outages.js";
import { enqueueMany } from "../../../queue/producer.js";
import type { Logger } from "../../../logger.js";
import type { AppDeps, AppEnv } from "../../env.js";
import { sendJson } from "../../respond.js";
import type { RateLimits } from "../../rate-limits.js";
import type { Router } from "../../router.js";
import { decodeUtf8, idFormat } from "../../../input-rules.js";
import { responses } from "../../schemas/responses.js";

const SOURCES: InboundSource[] = ["payments", "warehouse"];
const MERCHANT_ID = idFormat("mer");

/** One answer for every authentication failure, so a caller cannot probe which merchants exist. */
const unauthorized = () => new ApiError("signature_invalid", "The webhook signature could not be verified.");

/**
 * `POST /webhooks/:merchant/payments|warehouse` (docs/api.md §5): verify the signature over the raw bytes,
 * store the event, answer, then process in a job (an event that cannot touch a redemption is stored
 * processed: settle-without-effect.ts). Not under /v1: the signature is the authentication.
 */
export function registerInboundWebhooks(app: Router, deps: AppDeps, limits?: RateLimits): void {
  for (const source of SOURCES) {
    app.post(`/webhooks/:merchant/${source}`, async (c) => {
      // Before any Postgres work: per merchant and source, whatever the signature (docs/api.md §1.7).
      await limits?.enforce(c, limits.inbound, `${(c.req.param("merchant") ?? "").slice(0, 64)}:${source}`);
      return receive(c, deps, source);
    });
    // Documented by hand: the body is verified as raw bytes, so no validator may parse it first.
    app.openAPIRegistry.registerPath({
      operationId: source === "payments" ? "inboundWebhooks.receivePayments" : "inboundWebhooks.receiveWarehouse",
      method: "post",
      path: `/webhooks/{merchant}/${source}`,
      tags: ["Inbound webhooks"],
      summary: `Signed ${source} events (Standard Webhooks); stored, then processed asynchronously`,
      security: [],
      request: {
        params: z.object({
          merchant: z.string().openapi({
            param: { name: "merchant", in: "path", description: "The merchant (`mer_…`) whose inbound secret signs the request; an unknown or malformed one is `401 signature_invalid`, like a bad signature." },
            example: "mer_8sd2k1",
          }),
        }),
        headers: z.object({
          "webhook-id": z.string().openapi({
            param: { name: "webhook-id", in: "header", description: "The provider's message id: the same id again is stored once and answered `duplicate: true` (even with another body)." },
            example: "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W",
          }),
          "webhook-timestamp": z.string().openapi({
            param: { name: "webhook-timestamp", in: "header", description: "Unix seconds when it was signed; must be within 300 s of the service's clock." },
            example: "1767225600",
          }),
          "webhook-signature": z.string().openapi({
            param: {
              name: "webhook-signature",
              in: "header",
              description: `Space-separated \`v1,<base64>\` entries (Standard Webhooks): HMAC-SHA256 over \`<webhook-id>.<webhook-timestamp>.<body>\` with the merchant's ${source} inbound secret (\`whsec_…\`); any unexpired secret verifies during a rotation.`,
            },
            example: "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=",
          }),
        }),
        body: { required: true, content: { "application/json": { schema: inboundEnvelope } } },
      },
      responses: responses("inbound", {
        200: { description: "Verified and durably stored (or already stored: `duplicate: true`); processed once, shortly after this answer (an event that cannot touch a redemption — an ignored type, a payment without loyalty discounts — is recorded processed as it is stored)", content: { "application/json": { schema: receivedSchema } } },
      }),
    });
  }
}

const INBOUND_EXAMPLE = {
  id: "evt_1Nq2Lm",
  type: "payment.completed",
  created: 1767225700,
  livemode: false,
  data: { object: { id: "pay_4Fa1Lp", status: "completed", amount: 2999, currency: "EUR", discounts: [{ code: "VINR-6T6DJ4BK" }] } },
};
const inboundEnvelope = z
  .object({
    id: z.string().openapi({ description: "The provider's id for the event.", example: INBOUND_EXAMPLE.id }),
    type: z.string().openapi({
      description:
        "What happened. Payments: `payment.created`, `payment.processing`, `payment.requires_authentication` (link), `payment.completed`/`payment.succeeded` (apply), `payment.canceled`/`payment.cancelled`, `payment.failed`, `payment.expired` (release). Warehouse: `shipment.shipped`, `shipment.returned`, `shipment.canceled`/`shipment.cancelled`. Other types are stored and ignored.",
      example: INBOUND_EXAMPLE.type,
    }),
    created: z.number().int().openapi({ description: "Unix seconds when the provider created the event.", example: INBOUND_EXAMPLE.created }),
    livemode: z.boolean().openapi({ description: "The mode of the redemptions the event may touch; absent means test mode.", example: false }),
    data: z
      .object({
        object: z.record(z.string(), z.unknown()).openapi({
          description:
            "The provider's object. A payment: `{id: \"pay_…\", status, amount, currency, discounts: [{redemption: \"rdm_…\"} | {code: \"VINR-…\"}], …}`. A shipment: `{redemption: \"rdm_…\", tracking?, carrier?, shipped_at?, …}`.",
          example: INBOUND_EXAMPLE.data.object,
        }),
      })
      .openapi({ description: "What the event is about.", example: INBOUND_EXAMPLE.data }),
  })
  .openapi("InboundEvent", {
    description: "A signed event from the merchant's payment provider or warehouse (docs/api.md §5): a JSON object with a string `type`; verified over the exact bytes received.",
    example: INBOUND_EXAMPLE,
  });
const receivedSchema = z
  .object({
    received: z.literal(true).openapi({ description: "Always `true`: the event is durably stored and will be processed once, asynchronously.", example: true }),
    duplicate: z.boolean().openapi({ description: "`true` when this `webhook-id` was already stored (processed once, not again).", example: false }),
  })
  .openapi("InboundReceived", { description: "The acknowledgement of an inbound webhook.", example: { received: true, duplicate: false } });

async function receive(c: Context<AppEnv>, deps: AppDeps, source: InboundSource): Promise<Response> {
  const merchantId = c.req.param("merchant") ?? "";
  // A merchant id that is malformed (NUL, bad escapes, wrong prefix) is an unknown merchant: the same 401,
  // without asking Postgres.
  if (!MERCHANT_ID.test(merchantId)) {
    c.var.logger.info({ source, reason: "malformed merchant id" }, "inbound webhook refused");
    throw unauthorized();
  }
  // Strict UTF-8 (input-rules.ts): a lossy decoding would change the bytes the signature covers.
  const rawBody = decodeUtf8(await c.req.arrayBuffer());
  if (rawBody === null) throw new ApiError("body_invalid", "The webhook body is not valid UTF-8.");
  const verified = await verifyInboundWebhook(deps.db, { merchantId, source, rawBody, headers: c.req.header() });
  if (!verified.ok) {
    c.var.logger.info({ merchant: merchantId, source, reason: verified.reason }, "inbound webhook refused");
    throw unauthorized();
  }
  // Answered once the row is committed, with the webhooks stored at the same moment (one INSERT); the
  // processing job is enqueued after, without holding the answer (inbox-writer.ts).
  const stored = await deps.inbox.store(verified.webhook);
  return sendJson(c, 200, { received: true, duplicate: stored.duplicate });
}

/**
 * The rows are committed (the sandbox's events, stored with its payment): from here the events are
 * ours. One job, so they apply in the order they were sent. If Redis is away, the inbox sweeper
 * re-drives them, so a failed enqueue is logged, not answered as an error.
 */
export async function enqueueInboundProcessing(deps: AppDeps, logger: Logger, merchant: string, inboxIds: string[]): Promise<void> {
  if (inboxIds.length === 0) return;
  try {
    await enqueueMany(deps.queues, "process-inbound-webhook", [{ payload: { inboxIds }, jobId: inboxIds[0]!, merchant }]);
  } catch (error) {
    logEnqueueFailure(logger, "enqueue failed; the inbox sweeper will process it", { inbox: inboxIds })(error);
  }
}
