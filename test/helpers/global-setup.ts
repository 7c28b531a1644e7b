import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
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
  buildClientIfStale();
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

/**
 * Tests (and the demo they run) import the SDK by its name, @loyalty-redemptions/client: the workspace
 * link to packages/client, whose `exports` is its built dist/ (not committed; built by the root `build`
 * and `typecheck`). A missing or stale dist/ is compiled here, once, before any test file starts.
 */
function buildClientIfStale(): void {
  const pkg = fileURLToPath(new URL("../../packages/client/", import.meta.url));
  const built = join(pkg, "dist/index.js");
  const newest = (dir: string): number =>
    Math.max(0, ...readdirSync(dir, { withFileTypes: true }).map((e) => (e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs)));
  if (existsSync(built) && statSync(built).mtimeMs >= Math.max(newest(join(pkg, "src")), statSync(join(pkg, "tsconfig.json")).mtimeMs)) return;
  const tsc = fileURLToPath(new URL("../../node_modules/typescript/bin/tsc", import.meta.url));
  execFileSync(process.execPath, [tsc, "-p", join(pkg, "tsconfig.json")], { stdio: "inherit" });
}
