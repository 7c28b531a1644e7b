import { serve } from "@hono/node-server";
import { createApp } from "../http/app.js";
import { buildAppDeps, closeAppDeps } from "../http/deps.js";
import { loadConfigOrExit } from "./load-config.js";

/** Procfile `web`. On SIGTERM it stops accepting, lets in-flight requests finish, then closes. */
const config = loadConfigOrExit();
const deps = buildAppDeps(config);
const app = createApp(deps);
const server = serve({ fetch: app.fetch, port: config.PORT, hostname: "0.0.0.0" }, (info) =>
  deps.logger.info({ port: info.port }, "web listening"),
);

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  deps.logger.info({ signal }, "web stopping: draining in-flight requests");
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await closeAppDeps(deps);
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
