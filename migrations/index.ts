import type { Migration } from "kysely";
import * as createCoreTables from "./2026_11_25_000100_create_core_tables.js";
import * as createInboundWebhooks from "./2026_11_25_000200_create_inbound_webhooks.js";
import * as createWebhookEndpoints from "./2026_11_25_000300_create_webhook_endpoints.js";
import * as createTestPayments from "./2026_11_25_000400_create_test_payments.js";
import * as addRetentionAndListIndexes from "./2026_12_01_000100_add_retention_and_list_indexes.js";
import * as addRequestDeadlinesAndAttempts from "./2026_12_01_000200_add_request_deadlines_and_attempts.js";
import * as addApiKeyLifecycle from "./2026_12_01_000300_add_api_key_lifecycle.js";
import * as createConsoleSessions from "./2026_12_01_000400_create_console_sessions.js";
import * as addConsoleRetentionIndex from "./2026_12_01_000500_add_console_retention_index.js";
import * as addDeliveriesDueByEndpoint from "./2026_12_02_000100_add_deliveries_due_by_endpoint.js";

/**
 * Every migration, by name (applied in name order). A static list rather than a folder scan, so the
 * same code runs from TypeScript sources (tests) and from the compiled dist/ (production).
 */
export const MIGRATIONS: Record<string, Migration> = {
  "2026_11_25_000100_create_core_tables": createCoreTables,
  "2026_11_25_000200_create_inbound_webhooks": createInboundWebhooks,
  "2026_11_25_000300_create_webhook_endpoints": createWebhookEndpoints,
  "2026_11_25_000400_create_test_payments": createTestPayments,
  "2026_12_01_000100_add_retention_and_list_indexes": addRetentionAndListIndexes,
  "2026_12_01_000200_add_request_deadlines_and_attempts": addRequestDeadlinesAndAttempts,
  "2026_12_01_000300_add_api_key_lifecycle": addApiKeyLifecycle,
  "2026_12_01_000400_create_console_sessions": createConsoleSessions,
  "2026_12_01_000500_add_console_retention_index": addConsoleRetentionIndex,
  "2026_12_02_000100_add_deliveries_due_by_endpoint": addDeliveriesDueByEndpoint,
};
