import { sql, type Kysely } from "kysely";

/**
 * Deadlines and dead letters for the two kinds of stored work.
 *
 * A request a worker executes gets `deadline_at` (Postgres's clock, set when the web process stores it).
 * A deferred constraint trigger refuses, at COMMIT, to complete a request after its deadline: the web
 * process answers 503 only once the deadline has passed (or it has deleted the row), so a 503 can never
 * be followed by the effect. Rows with no deadline (written and completed in the web's own transaction,
 * or by a web process older than this migration) are not affected.
 *
 * `attempts` / `last_error` count runs that failed for a reason of their own (not an outage); after
 * MAX_ATTEMPTS the row is dead-lettered (`failed`) and no sweeper or retry drives it again.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE idempotency_keys
      ADD COLUMN deadline_at timestamptz,
      ADD COLUMN attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
      ADD COLUMN last_error text,
      DROP CONSTRAINT idempotency_keys_status_check,
      ADD CONSTRAINT idempotency_keys_status_check CHECK (status IN ('pending', 'completed', 'failed'));
    -- Pending rows stored before deadlines existed: their clients were answered long ago.
    UPDATE idempotency_keys SET deadline_at = created_at WHERE status = 'pending';
    DROP INDEX idempotency_keys_pending;
    CREATE INDEX idempotency_keys_pending ON idempotency_keys (deadline_at) WHERE status = 'pending';
    CREATE INDEX idempotency_keys_failed ON idempotency_keys (created_at) WHERE status = 'failed';

    CREATE FUNCTION idempotency_keys_meet_deadline() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.status = 'completed' AND NEW.deadline_at IS NOT NULL AND clock_timestamp() > NEW.deadline_at THEN
        RAISE EXCEPTION 'request % missed its deadline (%)', NEW.id, NEW.deadline_at USING ERRCODE = 'LR001';
      END IF;
      RETURN NULL;
    END $$;
    CREATE CONSTRAINT TRIGGER idempotency_keys_meet_deadline
      AFTER UPDATE OF status ON idempotency_keys DEFERRABLE INITIALLY DEFERRED
      FOR EACH ROW WHEN (NEW.status = 'completed' AND NEW.deadline_at IS NOT NULL)
      EXECUTE FUNCTION idempotency_keys_meet_deadline();

    ALTER TABLE inbound_webhooks
      ADD COLUMN attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
      ADD COLUMN last_error text,
      ADD COLUMN failed_at timestamptz,
      ADD CONSTRAINT inbound_webhooks_processed_or_failed CHECK (processed_at IS NULL OR failed_at IS NULL);
    DROP INDEX inbound_webhooks_unprocessed;
    -- The sweeper takes the least-tried rows first: a batch of rows that keep failing can never hide a
    -- newly lost one, and dead-lettered rows are out of the index altogether.
    CREATE INDEX inbound_webhooks_unprocessed ON inbound_webhooks (attempts, received_at)
      WHERE processed_at IS NULL AND failed_at IS NULL;
    CREATE INDEX inbound_webhooks_failed ON inbound_webhooks (failed_at) WHERE failed_at IS NOT NULL;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP INDEX inbound_webhooks_failed;
    DROP INDEX inbound_webhooks_unprocessed;
    CREATE INDEX inbound_webhooks_unprocessed ON inbound_webhooks (received_at) WHERE processed_at IS NULL;
    ALTER TABLE inbound_webhooks DROP CONSTRAINT inbound_webhooks_processed_or_failed,
      DROP COLUMN failed_at, DROP COLUMN last_error, DROP COLUMN attempts;
    DROP TRIGGER idempotency_keys_meet_deadline ON idempotency_keys;
    DROP FUNCTION idempotency_keys_meet_deadline();
    DROP INDEX idempotency_keys_failed;
    DROP INDEX idempotency_keys_pending;
    DELETE FROM idempotency_keys WHERE status = 'failed';
    CREATE INDEX idempotency_keys_pending ON idempotency_keys (created_at) WHERE status = 'pending';
    ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_status_check,
      ADD CONSTRAINT idempotency_keys_status_check CHECK (status IN ('pending', 'completed')),
      DROP COLUMN last_error, DROP COLUMN attempts, DROP COLUMN deadline_at;
  `.execute(db);
}
