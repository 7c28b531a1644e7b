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
      .openapi({
        description: "Unix seconds: events whose delivery to this endpoint failed (retries exhausted, or a 410) or was canceled at or after this time are sent again.",
        example: 1_764_547_200,
      }),
  })
  .openapi("RecoverWebhookEndpoint", { description: "Recover an endpoint after an outage (docs/api.md §6.2).", example: { since: 1_764_547_200 } });

const RECOVERY_EXAMPLE = {
  object: "webhook_recovery",
  endpoint: "we_8sd2k1",
  since: 1_764_547_200,
  count: 2,
  events: ["evt_3kT9wQ1mZx8bN2cV5rY7pL0d", "evt_9Ka0Lp2kT9wQ1mZx2bN9cV5r"],
  deliveries: ["dlv_9cV5rY7pL0d3kT9wQ1mZx2bN", "dlv_7Lp2kT9wQ1mZx2bN9cV5rY7p"],
  has_more: false,
};

export const recoverySchema = z
  .object({
    object: z.literal("webhook_recovery").openapi({ description: "Always `webhook_recovery`.", example: "webhook_recovery" }),
    endpoint: z.string().openapi({ description: "The endpoint recovered (`we_…`).", example: "we_8sd2k1" }),
    since: z.number().int().openapi({ description: "The `since` asked for (unix seconds).", example: 1_764_547_200 }),
    count: z.number().int().openapi({ description: "How many events were redelivered by this call.", example: 2 }),
    events: z.array(z.string()).openapi({ description: "The events (`evt_…`) sent again, oldest first; empty when nothing qualified.", example: RECOVERY_EXAMPLE.events }),
    deliveries: z.array(z.string()).openapi({ description: "The new deliveries (`dlv_…`), one per event, in the same order.", example: RECOVERY_EXAMPLE.deliveries }),
    has_more: z.boolean().openapi({ description: "`true` when more than 1000 events qualified: call again to recover the rest.", example: false }),
  })
  .openapi("WebhookRecovery", { description: "What a recover did: one new delivery per event to send again.", example: RECOVERY_EXAMPLE });

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
