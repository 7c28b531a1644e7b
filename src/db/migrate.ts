import { Migrator, type MigrationResultSet } from "kysely";
import { MIGRATIONS } from "../../migrations/index.js";
import type { Db } from "./database.js";

export function createMigrator(db: Db): Migrator {
  return new Migrator({ db, provider: { getMigrations: async () => MIGRATIONS } });
}

/** Applies every pending migration; Kysely holds an advisory lock, so concurrent starts are safe. */
export async function migrateToLatest(db: Db): Promise<MigrationResultSet> {
  const result = await createMigrator(db).migrateToLatest();
  if (result.error) throw result.error;
  return result;
}
