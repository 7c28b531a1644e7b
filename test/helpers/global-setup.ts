import type { TestProject } from "vitest/node";
import { createDb } from "../../src/db/client.js";
import { migrateToLatest } from "../../src/db/migrate.js";
import { databaseUrl, dropDatabase, withAdmin } from "./databases.js";

declare module "vitest" {
  export interface ProvidedContext {
    templateDatabase: string;
  }
}

/**
 * Migrates a template database once per run; every test file clones it (CREATE DATABASE … TEMPLATE).
 * The name is unique per run, so runs in parallel (several checkouts on one machine) don't collide.
 */
export default async function setup(project: TestProject) {
  const template = `lr_test_tpl_${process.pid}_${Date.now().toString(36)}`;
  await withAdmin((client) => client.query(`CREATE DATABASE "${template}"`));
  const db = createDb(databaseUrl(template), 1);
  try {
    await migrateToLatest(db);
  } finally {
    await db.destroy();
  }
  project.provide("templateDatabase", template);
  return async () => {
    await withAdmin((client) => dropDatabase(client, template));
  };
}
