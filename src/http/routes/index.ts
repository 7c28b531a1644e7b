import type { RegisterRoute } from "../router.js";
import { registerCloseAccount } from "./accounts/close-account.js";
import { registerCreateAccount } from "./accounts/create-account.js";
import { registerListAccounts } from "./accounts/list-accounts.js";
import { registerRetrieveAccount } from "./accounts/retrieve-account.js";
import { registerListEvents } from "./events/list-events.js";
import { registerRedeliverEvent } from "./events/redeliver-event.js";
import { registerRetrieveEvent } from "./events/retrieve-event.js";
import { registerCreateRedemption } from "./redemptions/create-redemption.js";
import { registerFulfillRedemption } from "./redemptions/fulfill-redemption.js";
import { registerReleaseRedemption } from "./redemptions/release-redemption.js";
import { registerReverseRedemption } from "./redemptions/reverse-redemption.js";
import { registerListRedemptions } from "./redemptions/list-redemptions.js";
import { registerRetrieveRedemption } from "./redemptions/retrieve-redemption.js";
import { registerCreateReward } from "./rewards/create-reward.js";
import { registerListRewards } from "./rewards/list-rewards.js";
import { registerRetrieveReward } from "./rewards/retrieve-reward.js";
import { registerUpdateReward } from "./rewards/update-reward.js";
import { registerCreateTestPayment } from "./test-payments/create-test-payment.js";
import { registerExpireTestPayment } from "./test-payments/expire-test-payment.js";
import { registerTestModeOnly } from "./test-payments/test-mode-only.js";
import { registerCreateTransaction } from "./transactions/create-transaction.js";
import { registerListTransactions } from "./transactions/list-transactions.js";
import { registerCreateWebhookEndpoint } from "./webhook-endpoints/create-webhook-endpoint.js";
import { registerDeleteWebhookEndpoint } from "./webhook-endpoints/delete-webhook-endpoint.js";
import { registerListWebhookAttempts } from "./webhook-endpoints/list-webhook-attempts.js";
import { registerRecoverWebhookEndpoint } from "./webhook-endpoints/recover-webhook-endpoint.js";
import { registerListWebhookEndpoints } from "./webhook-endpoints/list-webhook-endpoints.js";
import { registerRetrieveWebhookEndpoint } from "./webhook-endpoints/retrieve-webhook-endpoint.js";
import { registerRotateWebhookEndpointSecret } from "./webhook-endpoints/rotate-webhook-endpoint-secret.js";
import { registerUpdateWebhookEndpoint } from "./webhook-endpoints/update-webhook-endpoint.js";

/** Every authenticated /v1 route. One file per route; the file name says what it does. */
export const API_ROUTES: RegisterRoute[] = [
  registerCreateAccount,
  registerListAccounts,
  registerRetrieveAccount,
  registerCloseAccount,
  registerCreateTransaction,
  registerListTransactions,
  registerCreateReward,
  registerListRewards,
  registerRetrieveReward,
  registerUpdateReward,
  registerCreateRedemption,
  registerListRedemptions,
  registerRetrieveRedemption,
  registerFulfillRedemption,
  registerReverseRedemption,
  registerReleaseRedemption,
  registerCreateWebhookEndpoint,
  registerListWebhookEndpoints,
  registerRetrieveWebhookEndpoint,
  registerUpdateWebhookEndpoint,
  registerDeleteWebhookEndpoint,
  registerRotateWebhookEndpointSecret,
  registerListWebhookAttempts,
  registerRecoverWebhookEndpoint,
  registerListEvents,
  registerRetrieveEvent,
  registerRedeliverEvent,
  registerTestModeOnly,
  registerCreateTestPayment,
  registerExpireTestPayment,
];
