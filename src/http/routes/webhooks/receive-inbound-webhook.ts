import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { InboundSource } from "../../../db/tables/inbound-webhook.table.js";
import { acceptInboundWebhook } from "../../../domain/inbound/accept.js";
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
 * store the event, answer, then process in a job. Not under /v1: the signature is the authentication.
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
        params: z.object({ merchant: z.string().openapi({ param: { name: "merchant", in: "path" }, example: "mer_8sd2k1" }) }),
        headers: z.object({ "webhook-id": z.string(), "webhook-timestamp": z.string(), "webhook-signature": z.string() }),
        body: { required: true, content: { "application/json": { schema: inboundEnvelope } } },
      },
      responses: responses("inbound", {
        200: { description: "Verified and durably stored (or already stored: `duplicate: true`); processed asynchronously, once", content: { "application/json": { schema: receivedSchema } } },
      }),
    });
  }
}

const inboundEnvelope = z
  .object({ id: z.string(), type: z.string(), created: z.number().int(), livemode: z.boolean(), data: z.object({ object: z.record(z.string(), z.unknown()) }) })
  .openapi("InboundEvent");
const receivedSchema = z.object({ received: z.literal(true), duplicate: z.boolean() }).openapi("InboundReceived");

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
  const accepted = await acceptInboundWebhook(deps.db, { merchantId, source, rawBody, headers: c.req.header() });
  if (!accepted.ok) {
    c.var.logger.info({ merchant: merchantId, source, reason: accepted.reason }, "inbound webhook refused");
    throw unauthorized();
  }
  // Duplicates too: a provider's retry may be all that is left of a first delivery whose enqueue failed.
  // The job id is the inbox id and a processed row is a no-op, so this never processes twice.
  await enqueueInboundProcessing(deps, c.var.logger, [accepted.id]);
  return sendJson(c, 200, { received: true, duplicate: accepted.duplicate });
}

/**
 * The rows are committed: from here the events are ours. If Redis is away, the inbox sweeper re-drives
 * them, so a failed enqueue is logged, not answered as an error.
 */
export async function enqueueInboundProcessing(deps: AppDeps, logger: Logger, inboxIds: string[]): Promise<void> {
  try {
    await enqueueMany(deps.queues, "process-inbound-webhook", inboxIds.map((inboxId) => ({ payload: { inboxId }, jobId: inboxId })));
  } catch (error) {
    logEnqueueFailure(logger, "enqueue failed; the inbox sweeper will process it", { inbox: inboxIds })(error);
  }
}
