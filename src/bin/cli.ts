import { parseArgs } from "node:util";
import { createDb, ensureDatabase } from "../db/client.js";
import { migrateToLatest } from "../db/migrate.js";
import { createMerchant } from "../domain/merchants/merchants.js";
import { loadConfigOrExit } from "./load-config.js";

const USAGE = `usage: npm run --silent cli -- merchants create --name "Acme"`;

/** Operator CLI. Prints secrets once, as JSON, and stores only what it must (keys hashed). */
async function main(argv: string[]): Promise<number> {
  const [area, action, ...rest] = argv;
  if (area !== "merchants" || action !== "create") {
    process.stderr.write(`${USAGE}\n`);
    return 64;
  }
  const { values } = parseArgs({ args: rest, options: { name: { type: "string" } } });
  if (!values.name?.trim()) {
    process.stderr.write(`--name is required\n${USAGE}\n`);
    return 64;
  }
  const config = loadConfigOrExit();
  await ensureDatabase(config.DATABASE_URL);
  const db = createDb(config.DATABASE_URL, 1);
  try {
    await migrateToLatest(db);
    const created = await createMerchant(db, values.name.trim());
    process.stdout.write(`${JSON.stringify(created, null, 2)}\n`);
    return 0;
  } finally {
    await db.destroy();
  }
}

process.exitCode = await main(process.argv.slice(2));
