import { logEnqueueFailure } from "../../../ops/outages.js";
import { createRoute } from "@hono/zod-openapi";
import { createRedeliveries } from "../../../domain/webhooks/events.js";
import { deliveryJobId } from "../../../domain/webhooks/relay.js";
import { enqueueMany } from "../../../queue/producer.js";
import { runInline } from "../../idempotency.js";
import { validationError } from "../../middleware/errors.js";
import type { RegisterRoute } from "../../router.js";
import { idempotencyHeader, idParam, jsonResponse } from "../../schemas/common.js";
import { writeResponses } from "../../schemas/responses.js";
import { redeliverBody, redeliverySchema } from "../../schemas/webhooks.js";

const route = createRoute({
  operationId: "events.redeliver",
  method: "post",
  path: "/v1/events/{id}/redeliver",
  tags: ["Events"],
  summary: "Send an event again, to one endpoint or to every enabled endpoint subscribed to its type",
  request: { params: idParam("evt"), headers: idempotencyHeader, body: { required: false, content: { "application/json": { schema: redeliverBody } } } },
  responses: writeResponses({ 200: jsonResponse(redeliverySchema, "The deliveries created") }, ["resource_missing"]),
});

export const registerRedeliverEvent: RegisterRoute = (app, deps) =>
  app.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    // The body is optional, so it is validated here rather than by the route's validator.
    const parsed = redeliverBody.safeParse(c.var.body ?? {});
    if (!parsed.success) throw validationError(parsed.error, c.var.body);
    const response = await runInline(c, deps, async (trx) => ({ status: 200, body: await createRedeliveries(trx, c.var.scope, id, parsed.data.endpoint) }));
    if (response.status === 200) {
      // After the commit. A lost enqueue only costs latency: the rows are due and the sweeper re-drives them.
      // `deliveries[i]` goes to `endpoints[i]`; the endpoint id lets a job over the endpoint's cap wait cheaply.
      const { deliveries, endpoints } = JSON.parse(await response.clone().text()) as { deliveries: string[]; endpoints: string[] };
      const jobs = deliveries.map((deliveryId, i) => ({ payload: { deliveryId, endpointId: endpoints[i] }, jobId: deliveryJobId({ id: deliveryId, attempts: 0 }) }));
      await enqueueMany(deps.queues, "deliver-webhook", jobs).catch(
        logEnqueueFailure(c.var.logger, "enqueue of redeliveries failed; the sweeper will re-drive"),
      );
    }
    return response as never;
  });
