import { createRoute } from "@hono/zod-openapi";
import { expireTestPayment } from "../../../domain/sandbox/test-payments.js";
import { runInline } from "../../idempotency.js";
import type { RegisterRoute } from "../../router.js";
import { idempotencyHeader, idParam, noParameters, jsonResponse } from "../../schemas/common.js";
import { writeResponses } from "../../schemas/responses.js";
import { testPaymentSchema } from "../../schemas/test-payments.js";
import { enqueueInboundProcessing } from "../webhooks/receive-inbound-webhook.js";

const route = createRoute({
  operationId: "testPayments.expire",
  method: "post",
  path: "/v1/test/payments/{id}/expire",
  tags: ["Sandbox"],
  summary: "Expire a sandbox payment that requires authentication (sends payment.expired; its redemptions are released)",
  request: { params: idParam("pay"), headers: idempotencyHeader, body: noParameters },
  responses: writeResponses({ 200: jsonResponse(testPaymentSchema, "The expired payment") }, ["resource_missing", "invalid_state_transition"]),
});

export const registerExpireTestPayment: RegisterRoute = (app, deps) =>
  app.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    let inboxIds: string[] = [];
    const response = await runInline(c, deps, async (trx) => {
      const expired = await expireTestPayment(trx, c.var.scope, id);
      inboxIds = expired.inboxIds;
      return { status: 200, body: expired.payment };
    });
    await enqueueInboundProcessing(deps, c.var.logger, c.var.scope.merchantId, inboxIds);
    return response as never;
  });
