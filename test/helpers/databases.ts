import pg from "pg";
import { connectionConfig } from "../../src/db/client.js";

export const ADMIN_URL = process.env.TEST_DATABASE_ADMIN_URL ?? "postgres://127.0.0.1:5432/postgres";
export const TEMPLATE_DB = "lr_test_template";

export function databaseUrl(name: string): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function withAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(connectionConfig(ADMIN_URL));
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function dropDatabase(client: pg.Client, name: string): Promise<void> {
  await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
}
