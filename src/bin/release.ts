import { createDb, ensureDatabase } from "../db/client.js";
import { migrateToLatest } from "../db/migrate.js";
import { createLogger } from "../logger.js";
import { describeTarget } from "../ops/dependency-monitor.js";
import { isOutage } from "../ops/outages.js";
import { loadConfigOrExit } from "./load-config.js";

/** Procfile `release`: creates the database if missing and applies migrations. */
const config = loadConfigOrExit();
const logger = createLogger(config.LOG_LEVEL, { process: "release" });
try {
  await ensureDatabase(config.DATABASE_URL);
  const db = createDb(config.DATABASE_URL, 1, undefined, undefined, config.DATABASE_POOLING);
  try {
    const { results, error } = await migrateToLatest(db);
    for (const result of results ?? []) logger.info({ migration: result.migrationName, status: result.status }, "migration");
    if (error) throw error;
    logger.info({ applied: results?.length ?? 0 }, "database is up to date");
  } finally {
    await db.destroy();
  }
} catch (error) {
  // One line that says what to fix, not a stack: the operator's next step is the variable.
  const message = isOutage(error)
    ? `cannot reach Postgres at ${describeTarget(config.DATABASE_URL, "DATABASE_URL")}`
    : `migrations failed on ${describeTarget(config.DATABASE_URL, "DATABASE_URL")}`;
  logger.fatal({ error: (error as Error).message, code: (error as { code?: string }).code }, message);
  process.exit(1);
}
