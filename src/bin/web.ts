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
// Node's default keep-alive (5 s) is shorter than a load balancer's or a client pool's idle timeout:
// a request sent as the server closes the idle connection is reset. Headers must finish arriving
// within a bound (slow-loris), which Node requires to be longer than the keep-alive timeout.
server.keepAliveTimeout = config.HTTP_KEEP_ALIVE_TIMEOUT_MS;
server.headersTimeout = config.HTTP_KEEP_ALIVE_TIMEOUT_MS + 1_000;

exitOnSignal(deps.logger, config.SHUTDOWN_TIMEOUT_MS, {
  // close() stops accepting and resolves when the last connection is gone. A keep-alive connection
  // that was busy at close() and goes idle afterwards would hold it open: end idle ones as they appear.
  // In-flight requests each answer within REQUEST_TIMEOUT_MS + 1 s.
  drain: () =>
    new Promise<void>((resolve) => {
      const sweepIdle = setInterval(() => server.closeIdleConnections(), 100);
      server.close(() => {
        clearInterval(sweepIdle);
        resolve();
      });
      server.closeIdleConnections();
    }),
  close: () => closeAppDeps(deps),
});
