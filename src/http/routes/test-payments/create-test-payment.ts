import { createRoute } from "@hono/zod-openapi";
import { createTestPayment } from "../../../domain/sandbox/test-payments.js";
import { runInline } from "../../idempotency.js";
import type { RegisterRoute } from "../../router.js";
import { idempotencyHeader, jsonBody, jsonResponse } from "../../schemas/common.js";
import { writeResponses } from "../../schemas/responses.js";
import { createTestPaymentBody, testPaymentSchema } from "../../schemas/test-payments.js";
import { enqueueInboundProcessing } from "../webhooks/receive-inbound-webhook.js";

const route = createRoute({
  operationId: "testPayments.create",
  method: "post",
  path: "/v1/test/payments",
  tags: ["Sandbox"],
  summary: "Create a sandbox payment (test keys only) that applies discounts and sends signed payment events",
  description:
    "Plays the payment provider: applies the discounts, answers with the payment, and sends its signed `payment.*` events into the inbound webhook pipeline. " +
    "The redemptions settle asynchronously, shortly after this response (`applied` for a completed payment, `released` for a failed one): poll the redemption or listen for `loyalty.redemption.*` events. Live keys get 404.",
  request: { headers: idempotencyHeader, body: jsonBody(createTestPaymentBody) },
  responses: writeResponses({ 201: jsonResponse(testPaymentSchema, "The payment, in its final sandbox status") }, ["parameter_missing", "resource_missing", "invalid_state_transition", "currency_mismatch"]),
});

export const registerCreateTestPayment: RegisterRoute = (app, deps) =>
  app.openapi(route, async (c) => {
    const input = c.req.valid("json");
    // Ids from the last run: a refused or retried run may leave ids of rolled-back rows; their jobs find
    // no row and do nothing, so enqueuing them is harmless.
    let inboxIds: string[] = [];
    const response = await runInline(c, deps, async (trx) => {
      const created = await createTestPayment(trx, c.var.scope, input);
      inboxIds = created.inboxIds;
      return { status: 201, body: created.payment };
    });
    await enqueueInboundProcessing(deps, c.var.logger, c.var.scope.merchantId, inboxIds);
    return response as never;
  });
