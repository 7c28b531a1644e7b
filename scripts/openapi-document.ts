import { loadConfigOrExit } from "../src/bin/load-config.js";
import { createApp } from "../src/http/app.js";
import { buildAppDeps, closeAppDeps } from "../src/http/deps.js";

/**
 * `npm run --silent openapi:json > openapi.json`: prints the OpenAPI document the app serves at
 * /openapi.json, without a running server (the app is built in-process and asked for it). The
 * connections the app's dependencies open are closed again; nothing is written to Postgres or Redis.
 */
const config = loadConfigOrExit();
const deps = buildAppDeps(config);
try {
  const response = await createApp(deps).request("/openapi.json");
  if (!response.ok) throw new Error(`/openapi.json answered ${response.status}`);
  process.stdout.write(`${JSON.stringify(await response.json(), null, 2)}\n`);
} finally {
  await closeAppDeps(deps);
}
process.exit(0);
