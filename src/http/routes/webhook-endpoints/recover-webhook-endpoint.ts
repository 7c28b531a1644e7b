import { createRoute, z } from "@hono/zod-openapi";
import { recoverDeliveries } from "../../../domain/webhooks/recover.js";
import { deliveryJobId } from "../../../domain/webhooks/relay.js";
import { enqueueMany } from "../../../queue/producer.js";
import type { AppDeps, AppEnv } from "../../env.js";
import { runInline, type IdentityOptions } from "../../idempotency.js";
import type { RegisterRoute } from "../../router.js";
import { idempotencyHeader, idParam, jsonBody, jsonResponse } from "../../schemas/common.js";
import { writeResponses } from "../../schemas/responses.js";
import { logEnqueueFailure } from "../../../ops/outages.js";
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
    object: z.literal("webhook_recovery").openapi({ description: "String representing the object's type." }),
    endpoint: z.string().openapi({ description: "The endpoint recovered.", example: "we_8Kd0s2Lq" }),
    since: z.number().int().openapi({ description: "The `since` asked for (unix seconds).", example: 1_764_547_200 }),
    count: z.number().int().openapi({ description: "How many events were redelivered by this call.", example: 2 }),
    events: z.array(z.string()).openapi({ description: "The events redelivered.", example: ["evt_1xQ3", "evt_9Ka0"] }),
    deliveries: z.array(z.string()).openapi({ description: "The new deliveries, one per event.", example: ["whd_4Fa1", "whd_7Lp2"] }),
    has_more: z.boolean().openapi({ description: "More than 1000 events qualified: call again to recover the rest." }),
  })
  .openapi("WebhookRecovery");

const route = createRoute({
  operationId: "webhookEndpoints.recover",
  method: "post",
  path: "/v1/webhook-endpoints/{id}/recover",
  tags: ["Webhook endpoints"],
  summary: "Redeliver every event whose delivery to this endpoint failed or was canceled since a time",
  request: { params: idParam("we"), headers: idempotencyHeader, body: jsonBody(recoverBody) },
  responses: writeResponses({ 200: jsonResponse(recoverySchema, "The redeliveries created (one per event, at most 1000; has_more: call again)") }, ["resource_missing"]),
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
    await enqueueMany(deps.queues, "deliver-webhook", jobs).catch(logEnqueueFailure(c.var.logger, "enqueue of recovered deliveries failed; the sweeper will re-drive"));
  }
  return response;
}

export const registerRecoverWebhookEndpoint: RegisterRoute = (app, deps) =>
  app.openapi(route, async (c) => recoverAndEnqueue(c, deps, c.req.valid("param").id, c.req.valid("json").since) as never);
