import { loadConfig } from "../../config.js";
import { createLogger } from "../../logger.js";
import type { AppDeps } from "../env.js";
import type { Router } from "../router.js";
import { GUIDE_MARKDOWN } from "./guide.js";
import { registerOutboundWebhooks } from "./webhooks.js";
import { createRedis } from "../../queue/redis.js";

/** The document's top level. Operations, schemas and webhooks come from the routes' zod schemas. */
export const OPENAPI_CONFIG = {
  openapi: "3.1.0",
  info: {
    title: "loyalty-redemptions",
    version: "1",
    summary: "Spend loyalty points for rewards: accounts, a points ledger, a rewards catalog and atomic, idempotent redemptions.",
    description: GUIDE_MARKDOWN,
    license: { name: "MIT", identifier: "MIT" },
    contact: { name: "loyalty-redemptions maintainers", url: "http://localhost:3000/docs" },
  },
  servers: [
    {
      url: "{origin}",
      description: "Your deployment. Self-hosted: set `origin` to where its web process answers.",
      variables: { origin: { default: "http://localhost:3000", description: "Scheme, host and port of the web process (`npm start` listens on PORT, default 3000)." } },
    },
  ],
  security: [{ bearer: [] }, { apiKey: [] }],
  tags: [
    { name: "Loyalty accounts", description: "A member's points: balance, lifetime points, status (docs/api.md §2)." },
    { name: "Points", description: "The append-only points ledger: awards, deductions and the rows redemptions write (§2)." },
    { name: "Rewards", description: "The catalog: what points can buy, at what cost, with optional inventory (§3)." },
    { name: "Redemptions", description: "Spending points on a reward, and the actions that move a redemption through its states (§4)." },
    { name: "Webhook endpoints", description: "Where outbound `loyalty.redemption.*` events are delivered, and the attempts log (§6.1, §6.4)." },
    { name: "Events", description: "Every status change of a redemption, as delivered to webhook endpoints (§6.2)." },
    { name: "Sandbox", description: "Test-mode only: a payment provider to try the whole redeem → pay → settle loop (§7)." },
    { name: "Outbound webhooks", description: "The events this service POSTs to your webhook endpoints, signed with Standard Webhooks headers (§6.3)." },
    { name: "Inbound webhooks", description: "Signed events from the merchant's payment provider and warehouse (§5). Authenticated by signature, not by API key." },
  ],
} as const;

/** Registers the security schemes and answers `GET /openapi.json` with the document (built once). */
export function serveOpenApi(app: Router): void {
  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description: "`Authorization: Bearer sk_test_…` (test mode) or `sk_live_…` (live mode). The key alone decides the merchant and the mode.",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "apiKey", {
    type: "apiKey",
    in: "header",
    name: "X-Api-Key",
    description: "The same secret key, for clients that cannot set `Authorization`. Used only when there is no `Authorization` header; two different keys are `400 parameter_invalid`.",
  });
  registerOutboundWebhooks(app);
  let document: unknown;
  app.get("/openapi.json", (c) => c.json((document ??= openApiDocument(app))));
}

export function openApiDocument(app: Router): Record<string, unknown> {
  return app.getOpenAPI31Document(structuredClone(OPENAPI_CONFIG) as never) as unknown as Record<string, unknown>;
}

/** Deterministic text of the document, as committed in openapi.json. */
export const formatDocument = (document: unknown) => `${JSON.stringify(document, null, 2)}\n`;

/**
 * Dependencies for building the app only to read its document (`npm run openapi`): nothing connects.
 * Building the app only constructs clients; every connection is made on a request, and none is made.
 */
export function documentOnlyDeps(): AppDeps {
  const config = loadConfig({ LOG_LEVEL: "silent" });
  const redis = createRedis(config, "producer", undefined, { lazyConnect: true });
  const unused = new Proxy({}, { get: (_, name) => { throw new Error(`documentOnlyDeps: ${String(name)} used while building the document`); } });
  return {
    config,
    db: unused as AppDeps["db"],
    redis,
    queues: {} as AppDeps["queues"],
    subscriptions: unused as AppDeps["subscriptions"],
    outcomes: unused as AppDeps["outcomes"],
    requests: unused as AppDeps["requests"],
    inbox: unused as AppDeps["inbox"],
    logger: createLogger("silent"),
    monitor: { isDown: () => false, down: () => {}, up: () => {} } as unknown as AppDeps["monitor"],
    keys: unused as AppDeps["keys"],
  };
}
