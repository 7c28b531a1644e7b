import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { sql } from "kysely";
import { createDb, ensureDatabase } from "../../src/db/client.js";
import { migrateToLatest } from "../../src/db/migrate.js";
import { benchEnv, cleanup, secs, seedAccounts, seedReward } from "../lib.js";

const run = promisify(execFile);

export interface PgbenchResult {
  tps: number;
  latencyAvgMs: number;
  transactions: number;
  failed: number;
  clients: number;
  seconds: number;
  accounts: number;
}

/**
 * The redemption create, as SQL only, driven by pgbench: the ceiling Postgres alone gives this machine
 * for exactly the statements the service sends. One script = one redemption:
 *   1. (web, autocommit) claim the idempotency key: INSERT … ON CONFLICT DO NOTHING RETURNING id
 *   2. (worker, one transaction) lock the key row FOR UPDATE; SAVEPOINT; read the reward; conditional
 *      debit UPDATE … WHERE balance >= cost RETURNING balance; one INSERT with CTEs writing the ledger
 *      row, the event and the redemption; complete the key row; COMMIT.
 * Bodies have the size of the real ones. Ids derive from a random UUID (no collisions).
 */
const RESPONSE_BODY =
  '{"id":"rdm_XXXXXXXXXXXXXXXXXXXXXXXX","object":"redemption","account":"loy_XXXXXXXXXXXXXXXXXXXXXXXX","reward":"rwd_XXXXXXXXXXXXXXXXXXXXXXXX","reward_type":"discount_amount","quantity":1,"points":1,"status":"pending","discount":{"amount":500,"currency":"EUR","code":"VINR-XXXXXXXX"},"credit":null,"fulfillment":null,"payment":null,"points_transaction":"ptx_XXXXXXXXXXXXXXXXXXXXXXXX","reversal":null,"expires_at":1767225600,"version":1,"metadata":{},"livemode":false,"created":1767223800,"updated":1767223800}';
const EVENT_PAYLOAD = `{"id":"evt_XXXXXXXXXXXXXXXXXXXXXXXX","object":"event","type":"loyalty.redemption.created","data":{"object":${RESPONSE_BODY}},"livemode":false,"created":1767223800}`;
/** pgbench reads `:word` anywhere (even in literals) as a variable: a space after each JSON colon avoids it. */
const lit = (text: string) => `'${text.replace(/":/g, '": ').replace(/'/g, "''")}'`;

function script(): string {
  return `\\set aid random(1, :naccounts)
INSERT INTO idempotency_keys (id, merchant_id, livemode, key, client_key, method, path, request_hash, operation, params, status, request_id)
  VALUES ('idk_' || replace(gen_random_uuid()::text, '-', ''), 'mer_bench', false, gen_random_uuid()::text, true, 'POST', '/v1/loyalty/redemptions',
          md5(random()::text) || md5(random()::text), 'create_redemption', ('{"account":"loy_b' || :aid::text || '","reward":"rwd_bench","quantity":1}')::jsonb, 'pending', 'req_bench')
  ON CONFLICT (merchant_id, livemode, key) DO NOTHING RETURNING id AS idem \\gset
BEGIN;
SELECT * FROM idempotency_keys WHERE id = :idem::text FOR UPDATE;
SAVEPOINT operation;
SELECT * FROM rewards WHERE id = 'rwd_bench' AND merchant_id = 'mer_bench' AND livemode = false;
UPDATE loyalty_accounts SET balance = balance + -1, lifetime_points = lifetime_points
  WHERE id = 'loy_b' || :aid::text AND merchant_id = 'mer_bench' AND livemode = false AND status = 'active' AND balance >= 1 RETURNING balance \\gset
WITH debit AS (
  INSERT INTO points_transactions (id, merchant_id, livemode, account_id, type, amount, balance_after, reason, redemption_id, metadata)
  VALUES ('ptx_' || substr(:idem::text, 5), 'mer_bench', false, 'loy_b' || :aid::text, 'redemption', -1, :balance::bigint, 'redemption of rwd_bench', 'rdm_' || substr(:idem::text, 5), '{}')
), event AS (
  INSERT INTO events (id, merchant_id, livemode, type, redemption_id, version, payload, published_at)
  VALUES ('evt_' || substr(:idem::text, 5), 'mer_bench', false, 'loyalty.redemption.created', 'rdm_' || substr(:idem::text, 5), 1, ${lit(EVENT_PAYLOAD)}, NULL)
)
INSERT INTO redemptions (id, merchant_id, livemode, account_id, reward_id, reward_type, quantity, points, status, discount, discount_code, credit,
                         fulfillment, payment_id, points_transaction_id, reversal, expires_at, version, metadata, idempotency_id, created_at, updated_at)
  VALUES ('rdm_' || substr(:idem::text, 5), 'mer_bench', false, 'loy_b' || :aid::text, 'rwd_bench', 'discount_amount', 1, 1, 'pending',
          ${lit('{"amount":500,"currency":"EUR","code":"VINR-XXXXXXXX"}')}, 'VINR-' || substr(:idem::text, 5, 16), NULL, NULL, NULL, 'ptx_' || substr(:idem::text, 5), NULL,
          now() + interval '1800 seconds', 1, '{}', :idem::text, now(), now());
UPDATE idempotency_keys SET status = 'completed', response_status = 201, response_body = ${lit(RESPONSE_BODY)}, completed_at = now() WHERE id = :idem::text;
COMMIT;
`;
}

async function pgbench(dbName: string, file: string, accounts: number, seconds: number, clients: number): Promise<PgbenchResult> {
  const user = process.env.PGUSER || process.env.USER || userInfo().username;
  const args = ["-h", "127.0.0.1", "-p", "5432", "-U", user, "-n", "-M", "prepared", "-c", String(clients), "-j", "2", "-T", String(seconds), "-D", `naccounts=${accounts}`, "-f", file, dbName];
  let stdout: string;
  let stderr: string;
  try {
    ({ stdout, stderr } = await run("pgbench", args, { timeout: (seconds + 60) * 1000, maxBuffer: 16 << 20 }));
  } catch (error) {
    const { stdout: out = "", stderr: err = "" } = error as { stdout?: string; stderr?: string };
    throw new Error(`pgbench failed:\n${out.slice(-1500)}\n${err.slice(0, 1500)}`);
  }
  const num = (re: RegExp) => Number(re.exec(stdout)?.[1] ?? NaN);
  const result: PgbenchResult = {
    tps: num(/tps = ([\d.]+) \(without initial connection time\)/),
    latencyAvgMs: num(/latency average = ([\d.]+) ms/),
    transactions: num(/number of transactions actually processed: (\d+)/),
    failed: num(/number of failed transactions: (\d+)/) || 0,
    clients,
    seconds,
    accounts,
  };
  if (!Number.isFinite(result.tps) || /aborted|ERROR/.test(stderr)) throw new Error(`pgbench failed:\n${stdout}\n${stderr.slice(0, 2000)}`);
  return result;
}

export async function pgbenchCeilings(): Promise<{ uniform: PgbenchResult; hot: PgbenchResult; script: string }> {
  const bench = benchEnv(0);
  const dbName = new URL(bench.databaseUrl).pathname.slice(1);
  const dir = mkdtempSync(join(tmpdir(), "lr-pgbench-"));
  try {
    await ensureDatabase(bench.databaseUrl);
    const db = createDb(bench.databaseUrl, 2);
    try {
      await migrateToLatest(db);
      await sql`INSERT INTO merchants (id, name) VALUES ('mer_bench', 'pgbench')`.execute(db);
      await seedReward(db, "mer_bench", "rwd_bench");
      const accounts = secs(10_000, 1_000);
      await seedAccounts(db, "mer_bench", accounts, 1_000_000_000, (i) => `loy_b${i + 1}`);
      await sql`VACUUM ANALYZE`.execute(db);
      const file = join(dir, "redemption.sql");
      const text = script();
      writeFileSync(file, text);
      const seconds = secs(8, 2);
      const uniform = await pgbench(dbName, file, accounts, seconds, 32);
      const hot = await pgbench(dbName, file, 1, seconds, 32);
      return { uniform, hot, script: text };
    } finally {
      await db.destroy();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await cleanup(bench);
  }
}
