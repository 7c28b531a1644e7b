import { bodyLimit } from "hono/body-limit";
import type { AppDeps } from "./env.js";
import { authenticate } from "./middleware/auth.js";
import { ApiError } from "../errors.js";
import { onError, onNotFound, sendError } from "./middleware/errors.js";
import { jsonBody } from "./middleware/json-body.js";
import { requestContext } from "./middleware/request-context.js";
import { createRouter, type Router } from "./router.js";
import { registerHealth } from "./routes/health.js";
import { API_ROUTES } from "./routes/index.js";
import { registerInboundWebhooks } from "./routes/webhooks/receive-inbound-webhook.js";

export const MAX_BODY_BYTES = 64 * 1024;

export function createApp(deps: AppDeps): Router {
  const app = createRouter();
  app.use("*", requestContext(deps.logger));
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
  // Signed by the provider, not authenticated by API key: outside /v1 and its middleware.
  registerInboundWebhooks(app, deps);

  app.use("/v1/*", authenticate(deps.db), jsonBody);
  for (const register of API_ROUTES) register(app, deps);

  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: { title: "loyalty-redemptions", version: "1", description: "Spend loyalty points for rewards." },
    security: [{ bearer: [] }],
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer", description: "sk_test_… or sk_live_…" });
  return app;
}
