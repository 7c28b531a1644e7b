import { serve } from "@hono/node-server";
import type { Server } from "node:http";
import { createApp } from "../http/app.js";
import { buildAppDeps, closeAppDeps } from "../http/deps.js";
import { exitOnSignal } from "../ops/shutdown.js";
import { loadConfigOrExit } from "./load-config.js";

/** Procfile `web`. On SIGTERM it stops accepting, lets in-flight requests finish, then closes. */
const config = loadConfigOrExit();
const deps = buildAppDeps(config);
const app = createApp(deps);
const server = serve({ fetch: app.fetch, port: config.PORT, hostname: "0.0.0.0" }, (info) =>
  deps.logger.info({ port: info.port }, "web listening"),
) as Server;

exitOnSignal(deps.logger, config.SHUTDOWN_TIMEOUT_MS, {
  // close() stops accepting and ends idle keep-alive connections; it resolves when the last in-flight
  // request has been answered (each within REQUEST_TIMEOUT_MS + 1 s).
  drain: () => new Promise<void>((resolve) => server.close(() => resolve())),
  close: () => closeAppDeps(deps),
});
