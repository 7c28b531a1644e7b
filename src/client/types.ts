import type { z } from "zod";
import type { accountSchema, pointsTransactionSchema } from "../http/schemas/accounts.js";
import type { createRedemptionBody, fulfillRedemptionBody, redemptionSchema, reverseRedemptionBody } from "../http/schemas/redemptions.js";
import type { createRewardBody, rewardSchema, updateRewardBody } from "../http/schemas/rewards.js";
import type { createTestPaymentBody, testPaymentSchema } from "../http/schemas/test-payments.js";
import type {
  attemptSchema,
  createEndpointBody,
  deletedEndpointSchema,
  endpointSchema,
  endpointWithSecretSchema,
  eventSchema,
  redeliverBody,
  redeliverySchema,
  updateEndpointBody,
} from "../http/schemas/webhooks.js";

/** The API's own schemas, as TypeScript types: the client can't drift from what the server validates. */
export type LoyaltyAccount = z.output<typeof accountSchema>;
export type PointsTransaction = z.output<typeof pointsTransactionSchema>;
export type Reward = z.output<typeof rewardSchema>;
export type Redemption = z.output<typeof redemptionSchema>;
export type WebhookEndpoint = z.output<typeof endpointSchema>;
export type WebhookEndpointWithSecret = z.output<typeof endpointWithSecretSchema>;
export type DeletedWebhookEndpoint = z.output<typeof deletedEndpointSchema>;
export type WebhookAttempt = z.output<typeof attemptSchema>;
export type Event = z.output<typeof eventSchema>;
export type EventRedelivery = z.output<typeof redeliverySchema>;
export type TestPayment = z.output<typeof testPaymentSchema>;

export type RewardCreateParams = z.input<typeof createRewardBody>;
export type RewardUpdateParams = z.input<typeof updateRewardBody>;
export type RedemptionCreateParams = z.input<typeof createRedemptionBody>;
export type RedemptionFulfillParams = z.input<typeof fulfillRedemptionBody>;
export type RedemptionReverseParams = z.input<typeof reverseRedemptionBody>;
export type WebhookEndpointCreateParams = z.input<typeof createEndpointBody>;
export type WebhookEndpointUpdateParams = z.input<typeof updateEndpointBody>;
export type EventRedeliverParams = z.input<typeof redeliverBody>;
export type TestPaymentCreateParams = z.input<typeof createTestPaymentBody>;

export interface ListParams {
  limit?: number;
  starting_after?: string;
  ending_before?: string;
}
