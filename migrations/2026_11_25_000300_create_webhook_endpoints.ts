import { sql, type Kysely } from "kysely";

// Outbound webhooks. Postgres holds every fact a delivery depends on (which endpoint, which event,
// how many attempts, when the next one is due), so the queue can be lost without losing a delivery.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE webhook_endpoints (
      id text PRIMARY KEY,
      seq bigserial NOT NULL UNIQUE,
      merchant_id text NOT NULL REFERENCES merchants(id),
      livemode boolean NOT NULL,
      url text NOT NULL CHECK (url ~ '^https?://'),
      enabled_events text[] NOT NULL CHECK (cardinality(enabled_events) > 0),
      status text NOT NULL CHECK (status IN ('enabled', 'disabled')),
      description text,
      metadata jsonb NOT NULL DEFAULT '{}',
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      -- Soft delete: the attempts log of a deleted endpoint stays for the retention period.
      deleted_at timestamptz
    );
    CREATE INDEX webhook_endpoints_list ON webhook_endpoints (merchant_id, livemode, seq) WHERE deleted_at IS NULL;

    -- Signing secrets, AES-256-GCM encrypted. Several rows are live during a rotation overlap.
    CREATE TABLE webhook_endpoint_secrets (
      id bigserial PRIMARY KEY,
      endpoint_id text NOT NULL REFERENCES webhook_endpoints(id),
      ciphertext text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz
    );
    CREATE INDEX webhook_endpoint_secrets_by_endpoint ON webhook_endpoint_secrets (endpoint_id);

    CREATE TABLE webhook_deliveries (
      id text PRIMARY KEY,
      event_id text NOT NULL REFERENCES events(id) ON DELETE CASCADE,
      endpoint_id text NOT NULL REFERENCES webhook_endpoints(id),
      redelivery boolean NOT NULL DEFAULT false,
      status text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed', 'canceled')),
      attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
      next_attempt_at timestamptz,
      -- A worker sending this delivery holds it until then; also what caps in-flight sends per endpoint.
      locked_until timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      completed_at timestamptz,
      CHECK ((status = 'pending') = (next_attempt_at IS NOT NULL))
    );
    -- However often the relay runs over an event (racing relays, a rerun), one initial delivery per endpoint.
    CREATE UNIQUE INDEX webhook_deliveries_one_initial ON webhook_deliveries (event_id, endpoint_id) WHERE redelivery = false;
    CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
    CREATE INDEX webhook_deliveries_in_flight ON webhook_deliveries (endpoint_id, locked_until) WHERE status = 'pending';

    CREATE TABLE webhook_attempts (
      id text PRIMARY KEY,
      seq bigserial NOT NULL UNIQUE,
      delivery_id text NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
      event_id text NOT NULL,
      endpoint_id text NOT NULL REFERENCES webhook_endpoints(id),
      attempt integer NOT NULL CHECK (attempt > 0),
      status_code integer,
      duration_ms integer NOT NULL,
      error text CHECK (error IN ('timeout', 'connect', 'dns', 'tls', 'http_status', 'ssrf_blocked')),
      created_at timestamptz NOT NULL DEFAULT now(),
      next_attempt_at timestamptz,
      UNIQUE (delivery_id, attempt)
    );
    CREATE INDEX webhook_attempts_by_endpoint ON webhook_attempts (endpoint_id, seq);
    CREATE INDEX webhook_attempts_by_event ON webhook_attempts (endpoint_id, event_id, seq);
    CREATE INDEX events_retention ON events (created_at);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP INDEX events_retention;
    DROP TABLE webhook_attempts, webhook_deliveries, webhook_endpoint_secrets, webhook_endpoints;
  `.execute(db);
}
