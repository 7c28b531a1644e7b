import type { AppDeps } from "./env.js";
import { authenticate } from "./middleware/auth.js";
import { bodyLimit } from "./middleware/body-limit.js";
import { ApiError } from "../errors.js";
import { onError, onNotFound, sendError } from "./middleware/errors.js";
import { jsonBody } from "./middleware/json-body.js";
import { urlText } from "./middleware/url-text.js";
import { requestContext } from "./middleware/request-context.js";
import { createRouter, type Router } from "./router.js";
import { requireAdminToken } from "./ops/admin-auth.js";
import { Metrics } from "./ops/metrics.js";
import { RateLimits } from "./rate-limits.js";
import { DASHBOARD_PATH, queueDashboard } from "./ops/queue-dashboard.js";
import { registerHealth } from "./routes/health.js";
import { API_ROUTES } from "./routes/index.js";
import { registerInboundWebhooks } from "./routes/webhooks/receive-inbound-webhook.js";
import { registerConsole } from "./console/index.js";
import { serveOpenApi } from "./openapi/document.js";
import { registerDocsPage } from "./ops/docs-page.js";

export const MAX_BODY_BYTES = 64 * 1024;

export function createApp(deps: AppDeps): Router {
  const app = createRouter();
  const metrics = new Metrics(deps.queues, deps.redis, deps.config.QUEUE_PREFIX, deps.db);
  app.use("*", requestContext(deps.logger));
  app.use("*", metrics.middleware());
  app.use(
    "*",
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) => sendError(c as never, new ApiError("body_too_large", `The request body is larger than ${MAX_BODY_BYTES} bytes.`)),
    }),
  );
  app.onError(onError);
  app.notFound(onNotFound);

  registerHealth(app, deps);
  registerOperatorPages(app, deps, metrics);
  // Signed by the provider, not authenticated by API key: outside /v1 and its middleware.
  const limits = new RateLimits(deps.config, deps.redis, deps.monitor, metrics.rateLimited, deps.logger);
  registerInboundWebhooks(app, deps, limits);
  // The merchant console: HTML, its own session auth (src/http/console/auth.ts), outside /v1.
  registerConsole(app, deps, limits);

  app.use("/v1/*", authenticate(deps.keys, limits, deps.config.TRUST_PROXY), urlText, jsonBody);
  for (const register of API_ROUTES) register(app, deps);

  serveOpenApi(app);
  registerDocsPage(app);
  return app;
}

/** `/metrics` is open unless ADMIN_TOKEN is set; `/admin/queues` exists only when it is (spec §8). */
function registerOperatorPages(app: Router, deps: AppDeps, metrics: Metrics): void {
  const token = deps.config.ADMIN_TOKEN;
  if (token) app.use("/metrics", requireAdminToken(token));
  app.get("/metrics", async (c) => c.body(await metrics.registry.metrics(), 200, { "content-type": metrics.registry.contentType }));
  if (token) {
    app.use(`${DASHBOARD_PATH}/*`, requireAdminToken(token));
    app.use(DASHBOARD_PATH, requireAdminToken(token));
    app.route(DASHBOARD_PATH, queueDashboard(deps.queues, deps.config.ADMIN_QUEUE_ACTIONS));
  }
}
