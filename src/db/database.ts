import type { Kysely, Transaction } from "kysely";
import type { LoyaltyAccountTable } from "./tables/account.table.js";
import type { ConsoleActionTable, ConsoleSessionTable } from "./tables/console.table.js";
import type { EventTable } from "./tables/event.table.js";
import type { InboundWebhookTable } from "./tables/inbound-webhook.table.js";
import type { IdempotencyKeyTable } from "./tables/idempotency-key.table.js";
import type { ApiKeyTable, InboundSecretTable, MerchantTable } from "./tables/merchant.table.js";
import type { PointsTransactionTable } from "./tables/points-transaction.table.js";
import type { RedemptionTable } from "./tables/redemption.table.js";
import type { RewardTable } from "./tables/reward.table.js";
import type { TestPaymentTable } from "./tables/test-payment.table.js";
import type { WebhookAttemptTable, WebhookDeliveryTable } from "./tables/webhook-delivery.table.js";
import type { WebhookEndpointSecretTable, WebhookEndpointTable } from "./tables/webhook-endpoint.table.js";

export interface Database {
  merchants: MerchantTable;
  api_keys: ApiKeyTable;
  inbound_secrets: InboundSecretTable;
  loyalty_accounts: LoyaltyAccountTable;
  points_transactions: PointsTransactionTable;
  rewards: RewardTable;
  redemptions: RedemptionTable;
  idempotency_keys: IdempotencyKeyTable;
  events: EventTable;
  inbound_webhooks: InboundWebhookTable;
  webhook_endpoints: WebhookEndpointTable;
  webhook_endpoint_secrets: WebhookEndpointSecretTable;
  webhook_deliveries: WebhookDeliveryTable;
  webhook_attempts: WebhookAttemptTable;
  test_payments: TestPaymentTable;
  console_sessions: ConsoleSessionTable;
  console_actions: ConsoleActionTable;
}

export type Db = Kysely<Database>;
export type Trx = Transaction<Database>;
/** Either the pool or an open transaction: for reads that work in both. */
export type Executor = Kysely<Database>;

/** Every object belongs to one merchant and one mode; every query is scoped by both. */
export interface Scope {
  merchantId: string;
  livemode: boolean;
}
