#!/usr/bin/env node
import { parseArgs } from "node:util";
import { parseDuration } from "../config.js";
import { createDb, ensureDatabase } from "../db/client.js";
import type { Db } from "../db/database.js";
import { migrateToLatest } from "../db/migrate.js";
import { listApiKeys, listMerchants, merchantExists, revokeApiKey, rollApiKey, rotateInboundSecret } from "../domain/merchants/api-keys.js";
import { createMerchant } from "../domain/merchants/merchants.js";
import { announceKeyChange } from "../http/key-cache.js";
import { createRedis } from "../queue/redis.js";
import { loadConfigOrExit } from "./load-config.js";

const USAGE = `usage (node dist/src/bin/cli.js, or npm run --silent cli -- after npm run build):
  merchants create --name "Acme"
  merchants list
  keys roll --merchant mer_… --mode test|live [--expires-in 24h]
  keys revoke --merchant mer_… --key sk_…
  keys list --merchant mer_…
  inbound-secrets rotate --merchant mer_… --source payments|warehouse [--expires-in 24h]`;

class UsageError extends Error {}

const OPTIONS = {
  name: { type: "string" },
  merchant: { type: "string" },
  mode: { type: "string" },
  key: { type: "string" },
  source: { type: "string" },
  "expires-in": { type: "string" },
} as const;

/** Operator CLI. Prints JSON; secrets are printed once and stored only as hashes (keys). */
async function main(argv: string[]): Promise<number> {
  const [area, action, ...rest] = argv;
  let values: Partial<Record<keyof typeof OPTIONS, string>>;
  try {
    values = parseArgs({ args: rest, options: OPTIONS }).values;
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return 64;
  }
  const config = loadConfigOrExit();
  await ensureDatabase(config.DATABASE_URL);
  const db = createDb(config.DATABASE_URL, 1, undefined, undefined, config.DATABASE_POOLING);
  try {
    await migrateToLatest(db);
    const result = await run(db, `${area} ${action}`, values, async (hashes) => {
      // Every web process drops these keys from its cache at once; a lost announcement costs at most
      // the cache's 3 s lifetime (KEY_CACHE_TTL_MS).
      const redis = createRedis(config, "producer");
      try {
        if (redis.status !== "ready") await new Promise((resolve) => { redis.once("ready", resolve); redis.once("error", resolve); setTimeout(resolve, 2_000).unref(); });
        return await announceKeyChange(redis, config.QUEUE_PREFIX, hashes);
      } finally {
        redis.disconnect();
      }
    });
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n${USAGE}\n`);
      return 64;
    }
    throw error;
  } finally {
    await db.destroy();
  }
}

function required(values: Partial<Record<string, string>>, name: string): string {
  const value = values[name]?.trim();
  if (!value) throw new UsageError(`--${name} is required`);
  return value;
}

function expiresIn(values: Partial<Record<string, string>>): number {
  const text = values["expires-in"] ?? "24h";
  const ms = parseDuration(text);
  if (ms === null) throw new UsageError(`--expires-in: expected a duration like 24h, 30m or 0, got "${text}"`);
  return ms;
}

async function existingMerchant(db: Db, values: Partial<Record<string, string>>): Promise<string> {
  const merchant = required(values, "merchant");
  if (!(await merchantExists(db, merchant))) throw new UsageError(`no such merchant: ${merchant}`);
  return merchant;
}

async function run(db: Db, command: string, values: Partial<Record<string, string>>, announce: (hashes: string[]) => Promise<boolean>): Promise<unknown> {
  switch (command) {
    case "merchants create":
      return createMerchant(db, required(values, "name"));
    case "merchants list":
      return { merchants: await listMerchants(db) };
    case "keys roll": {
      const merchant = await existingMerchant(db, values);
      const mode = required(values, "mode");
      if (mode !== "test" && mode !== "live") throw new UsageError("--mode must be test or live");
      const { rolled, changedHashes } = await rollApiKey(db, merchant, mode === "live", expiresIn(values));
      const announced = changedHashes.length === 0 || (await announce(changedHashes));
      return { ...rolled, announced };
    }
    case "keys revoke": {
      const merchant = await existingMerchant(db, values);
      const { revoked, keyHash } = await revokeApiKey(db, merchant, required(values, "key"));
      if (!revoked) throw new UsageError(`merchant ${merchant} has no such key`);
      return { merchant, revoked: true, announced: await announce([keyHash]) };
    }
    case "keys list": {
      const merchant = await existingMerchant(db, values);
      return { merchant, keys: await listApiKeys(db, merchant) };
    }
    case "inbound-secrets rotate": {
      const merchant = await existingMerchant(db, values);
      const source = required(values, "source");
      if (source !== "payments" && source !== "warehouse") throw new UsageError("--source must be payments or warehouse");
      return rotateInboundSecret(db, merchant, source, expiresIn(values));
    }
    default:
      throw new UsageError(`unknown command: ${[command].join(" ")}`);
  }
}

process.exitCode = await main(process.argv.slice(2));
