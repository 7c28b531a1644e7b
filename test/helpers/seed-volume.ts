import { sql } from "kysely";
import type { Db } from "../../src/db/database.js";

export interface SeedMerchant {
  merchantId: string;
  /** Ids are `<prefix>_<tag>_<g>`, so a test can name a row without reading it back. */
  tag: string;
  /** Rows per table (g = 1..rows). */
  rows: number;
}

/** Accounts per merchant: one per ten rows, an even count (see below). */
const accountsOf = (rows: number) => 2 * Math.ceil(rows / 20);
const REWARDS = 20;

/**
 * Rows for query-plan tests, straight in SQL (thousands per table in well under a second), for several
 * merchants in both modes: accounts, rewards, redemptions of several statuses, a ledger of two types,
 * events (a tenth past retention, some unpublished), deliveries (some redeliveries, some pending),
 * attempts, idempotency rows and inbox rows. Written in slices, merchant after merchant, so their rows
 * interleave in `seq` order as they do in production. Row g is live when g is even; account and reward
 * ((g - 1) % count) + 1 have the same parity, so the same mode.
 */
export async function seedVolume(db: Db, merchants: SeedMerchant[], slices = 8): Promise<void> {
  for (const merchant of merchants) await seedRange(db, merchant, 0, 0, true);
  for (let slice = 0; slice < slices; slice++) {
    for (const merchant of merchants) {
      const size = Math.ceil(merchant.rows / slices);
      await seedRange(db, merchant, slice * size + 1, Math.min(merchant.rows, (slice + 1) * size), false);
    }
  }
}

async function seedRange(db: Db, { merchantId, tag, rows }: SeedMerchant, from: number, to: number, catalog: boolean): Promise<void> {
  const accounts = accountsOf(rows);
  const id = (prefix: string) => `${prefix}_${tag}_`;
  const catalogStatements = [
    sql`INSERT INTO loyalty_accounts (id, merchant_id, livemode, customer)
      SELECT ${id("loy")} || g, ${merchantId}, g % 2 = 0, 'cus_' || g FROM generate_series(1, ${accounts}::int) g`,
    sql`INSERT INTO rewards (id, merchant_id, livemode, name, type, cost, value, inventory)
      SELECT ${id("rwd")} || g, ${merchantId}, g % 2 = 0, 'reward ' || g, 'discount_amount', 100,
        '{"amount": 100, "currency": "EUR"}', CASE WHEN g % 3 = 0 THEN NULL ELSE 1000 END
      FROM generate_series(1, ${REWARDS}::int) g`,
    sql`INSERT INTO webhook_endpoints (id, merchant_id, livemode, url, enabled_events, status)
      SELECT ${id("we")} || g, ${merchantId}, g % 2 = 0, 'https://example.com/hook', '{*}', 'enabled' FROM generate_series(1, 4) g`,
  ];
  const statements = [
    // A fiftieth pending (and recent: the stale-request sweep must find none, it would enqueue them).
    sql`INSERT INTO idempotency_keys (id, merchant_id, livemode, key, client_key, method, path, request_hash, status,
        response_status, response_body, request_id, created_at, completed_at)
      SELECT ${id("idk")} || g, ${merchantId}, g % 2 = 0, 'key-' || g, true, 'POST', '/v1/loyalty/redemptions', 'h', p.status,
        CASE WHEN p.pending THEN NULL ELSE 201 END, CASE WHEN p.pending THEN NULL ELSE '{}' END, 'req_' || g,
        CASE WHEN p.pending THEN now() ELSE now() - (g % 100) * interval '1 hour' END, CASE WHEN p.pending THEN NULL ELSE now() END
      FROM generate_series(${from}::int, ${to}::int) g
      CROSS JOIN LATERAL (SELECT g % 50 = 0 AS pending, CASE WHEN g % 50 = 0 THEN 'pending' ELSE 'completed' END AS status) p`,
    sql`INSERT INTO redemptions (id, merchant_id, livemode, account_id, reward_id, reward_type, quantity, points, status,
        discount_code, points_transaction_id, expires_at, version, idempotency_id)
      SELECT ${id("rdm")} || g, ${merchantId}, g % 2 = 0, ${id("loy")} || ((g - 1) % ${accounts}::int + 1),
        ${id("rwd")} || ((g - 1) % ${REWARDS}::int + 1), 'discount_amount', 1, 100, s.status, ${`VINR-${tag.toUpperCase()}`} || g,
        ${id("ptx")} || g, CASE WHEN s.status = 'pending' THEN now() + (g % 7 - 3) * interval '1 hour' END, 1,
        CASE WHEN g % 50 = 0 THEN NULL ELSE ${id("idk")} || g END
      FROM generate_series(${from}::int, ${to}::int) g
      CROSS JOIN LATERAL (SELECT (ARRAY['pending', 'applied', 'released', 'applied', 'applied'])[g % 5 + 1] AS status) s`,
    // One debit per redemption, and as many awards.
    sql`INSERT INTO points_transactions (id, merchant_id, livemode, account_id, type, amount, balance_after, reason, redemption_id)
      SELECT r.points_transaction_id, r.merchant_id, r.livemode, r.account_id, 'redemption', -100, 0, 'seed', r.id
      FROM generate_series(${from}::int, ${to}::int) g JOIN redemptions r ON r.id = ${id("rdm")} || g`,
    sql`INSERT INTO points_transactions (id, merchant_id, livemode, account_id, type, amount, balance_after, reason)
      SELECT ${id("ptx")} || 'earn_' || g, ${merchantId}, g % 2 = 0, ${id("loy")} || ((g - 1) % ${accounts}::int + 1), 'earn', 100, 100, 'seed'
      FROM generate_series(${from}::int, ${to}::int) g`,
    sql`INSERT INTO events (id, merchant_id, livemode, type, redemption_id, version, payload, created_at, published_at)
      SELECT ${id("evt")} || g, ${merchantId}, g % 2 = 0, 'loyalty.redemption.created', ${id("rdm")} || g, 1, '{}',
        CASE WHEN g % 10 = 0 THEN now() - interval '40 days' ELSE now() END, CASE WHEN g % 100 = 1 THEN NULL ELSE now() END
      FROM generate_series(${from}::int, ${to}::int) g`,
    // An initial delivery per event to an endpoint of its mode, a redelivery for every tenth; a twentieth pending.
    sql`INSERT INTO webhook_deliveries (id, event_id, endpoint_id, redelivery, status, attempts, next_attempt_at, completed_at)
      SELECT ${id("dlv")} || g || CASE WHEN r.re THEN '_re' ELSE '' END, ${id("evt")} || g, ${id("we")} || (2 - g % 2), r.re,
        CASE WHEN p.pending THEN 'pending' ELSE 'succeeded' END, 1,
        CASE WHEN p.pending THEN now() - interval '1 minute' END, CASE WHEN p.pending THEN NULL ELSE now() END
      FROM generate_series(${from}::int, ${to}::int) g
      CROSS JOIN LATERAL (SELECT false AS re UNION ALL SELECT true WHERE g % 10 = 3) r
      CROSS JOIN LATERAL (SELECT g % 20 = 5 AS pending) p`,
    sql`INSERT INTO webhook_attempts (id, delivery_id, event_id, endpoint_id, attempt, status_code, duration_ms)
      SELECT 'whatt_' || d.id, d.id, d.event_id, d.endpoint_id, 1, 200, 12
      FROM generate_series(${from}::int, ${to}::int) g JOIN webhook_deliveries d ON d.event_id = ${id("evt")} || g`,
    sql`INSERT INTO inbound_webhooks (id, merchant_id, source, webhook_id, event_type, livemode, payload, outcome, received_at, processed_at)
      SELECT ${id("iwh")} || g, ${merchantId}, 'payments', 'msg_' || g, 'payment.completed', false, '{}',
        CASE WHEN g % 100 = 0 THEN NULL ELSE 'processed' END, now(), CASE WHEN g % 100 = 0 THEN NULL ELSE now() END
      FROM generate_series(${from}::int, ${to}::int) g`,
  ];
  for (const statement of catalog ? catalogStatements : statements) await statement.execute(db);
}
