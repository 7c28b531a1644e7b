import { createRoute, z } from "@hono/zod-openapi";
import { recoverDeliveries } from "../../../domain/webhooks/recover.js";
import { deliveryJobId } from "../../../domain/webhooks/relay.js";
import { enqueueMany } from "../../../queue/producer.js";
import type { AppDeps, AppEnv } from "../../env.js";
import { runInline, type IdentityOptions } from "../../idempotency.js";
import type { RegisterRoute } from "../../router.js";
import { idempotencyHeader, idParam, jsonBody, jsonResponse, writeErrors } from "../../schemas/common.js";
import type { Context } from "hono";

export const recoverBody = z
  .strictObject({
    since: z
      .number()
      .int()
      .min(0)
      .max(253_402_300_799)
      .openapi({ description: "Unix seconds: deliveries to this endpoint created at or after this time are recovered.", example: 1_764_547_200 }),
  })
  .openapi("RecoverWebhookEndpoint");

export const recoverySchema = z
  .object({
    object: z.literal("webhook_recovery"),
    endpoint: z.string(),
    since: z.number().int(),
    count: z.number().int(),
    events: z.array(z.string()),
    deliveries: z.array(z.string()),
    has_more: z.boolean(),
  })
  .openapi("WebhookRecovery");

const route = createRoute({
  method: "post",
  path: "/v1/webhook-endpoints/{id}/recover",
  tags: ["Webhook endpoints"],
  summary: "Redeliver every event whose delivery to this endpoint failed or was canceled since a time",
  request: { params: idParam("we"), headers: idempotencyHeader, body: jsonBody(recoverBody) },
  responses: { 200: jsonResponse(recoverySchema, "The redeliveries created (one per event, at most 1000; has_more: call again)"), ...writeErrors },
});

/**
 * Recovers (idempotently: the Idempotency-Key replays the first answer) and, after the commit, wakes the
 * new deliveries. A lost enqueue only costs latency: the rows are due and the sweeper re-drives them.
 * Shared with the console's Recover form.
 */
export async function recoverAndEnqueue(c: Context<AppEnv>, deps: AppDeps, endpointId: string, since: number, options: IdentityOptions = {}): Promise<Response> {
  const response = await runInline(c, deps, async (trx) => ({ status: 200, body: await recoverDeliveries(trx, c.var.scope, endpointId, new Date(since * 1000)) }), options);
  if (response.status === 200) {
    const { deliveries } = JSON.parse(await response.clone().text()) as { deliveries: string[] };
    const jobs = deliveries.map((deliveryId) => ({ payload: { deliveryId, endpointId }, jobId: deliveryJobId({ id: deliveryId, attempts: 0 }) }));
    await enqueueMany(deps.queues, "deliver-webhook", jobs).catch((error: unknown) => c.var.logger.warn({ err: error }, "enqueue of recovered deliveries failed; the sweeper will re-drive"));
  }
  return response;
}

export const registerRecoverWebhookEndpoint: RegisterRoute = (app, deps) =>
  app.openapi(route, async (c) => recoverAndEnqueue(c, deps, c.req.valid("param").id, c.req.valid("json").since) as never);
