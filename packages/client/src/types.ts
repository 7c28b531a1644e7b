import type { components, paths } from "./generated/openapi.js";

/**
 * The API's objects and parameters, named. Every type here is derived from the generated OpenAPI
 * types (src/generated/openapi.ts), so regenerating from a changed document changes them.
 */
type Schemas = components["schemas"];
type QueryOf<P extends keyof paths> = paths[P] extends { get: { parameters: { query?: infer Q } } } ? NonNullable<Q> : never;

export type LoyaltyAccount = Schemas["LoyaltyAccount"];
export type PointsTransaction = Schemas["PointsTransaction"];
export type Reward = Schemas["Reward"];
export type Redemption = Schemas["Redemption"];
export type RedemptionStatus = Redemption["status"];
export type Shipping = Schemas["Shipping"];
export type WebhookEndpoint = Schemas["WebhookEndpoint"];
export type WebhookEndpointWithSecret = Schemas["WebhookEndpointWithSecret"];
export type DeletedWebhookEndpoint = Schemas["DeletedWebhookEndpoint"];
export type WebhookRecovery = Schemas["WebhookRecovery"];
export type WebhookEndpointRecoverParams = Schemas["RecoverWebhookEndpoint"];
export type WebhookAttempt = Schemas["WebhookAttempt"];
export type Event = Schemas["Event"];
export type EventType = Event["type"];
export type EventRedelivery = Schemas["EventRedelivery"];
export type TestPayment = Schemas["TestPayment"];
export type Metadata = Schemas["Metadata"];

export type AccountCreateParams = Schemas["CreateLoyaltyAccount"];
export type TransactionCreateParams = Schemas["CreatePointsTransaction"];
export type RewardCreateParams = Schemas["CreateReward"];
export type RewardUpdateParams = Schemas["UpdateReward"];
export type RedemptionCreateParams = Schemas["CreateRedemption"];
export type RedemptionFulfillParams = Schemas["FulfillRedemption"];
export type RedemptionReverseParams = Schemas["ReverseRedemption"];
export type WebhookEndpointCreateParams = Schemas["CreateWebhookEndpoint"];
export type WebhookEndpointUpdateParams = Schemas["UpdateWebhookEndpoint"];
export type EventRedeliverParams = Schemas["RedeliverEvent"];
export type TestPaymentCreateParams = Schemas["CreateTestPayment"];

export type AccountListParams = QueryOf<"/v1/loyalty/accounts">;
export type TransactionListParams = QueryOf<"/v1/loyalty/transactions">;
export type RewardListParams = QueryOf<"/v1/loyalty/rewards">;
export type RedemptionListParams = QueryOf<"/v1/loyalty/redemptions">;
export type WebhookEndpointListParams = QueryOf<"/v1/webhook-endpoints">;
export type WebhookAttemptListParams = QueryOf<"/v1/webhook-endpoints/{id}/attempts">;
export type EventListParams = QueryOf<"/v1/events">;

/** What the server answered, on every object the client returns (not enumerable: JSON.stringify skips it). */
export interface LastResponse {
  requestId: string | null;
  status: number;
  headers: Record<string, string>;
  /** True when the answer was replayed for a reused Idempotency-Key (header `Idempotent-Replayed`). */
  idempotentReplayed: boolean;
}

export type WithLastResponse<T> = T & { readonly lastResponse: LastResponse };

export interface Page<T> {
  object: "list";
  data: T[];
  has_more: boolean;
  next_cursor: string | null;
}
