import { createDb, ensureDatabase } from "../db/client.js";
import { migrateToLatest } from "../db/migrate.js";
import { createLogger } from "../logger.js";
import { loadConfigOrExit } from "./load-config.js";

/** Procfile `release`: creates the database if missing and applies migrations. */
const config = loadConfigOrExit();
const logger = createLogger(config.LOG_LEVEL, { process: "release" });
await ensureDatabase(config.DATABASE_URL);
const db = createDb(config.DATABASE_URL, 1);
try {
  const { results } = await migrateToLatest(db);
  for (const result of results ?? []) logger.info({ migration: result.migrationName, status: result.status }, "migration");
  logger.info({ applied: results?.length ?? 0 }, "database is up to date");
} finally {
  await db.destroy();
}
