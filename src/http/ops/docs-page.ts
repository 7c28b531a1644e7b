import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { Router } from "../router.js";

/**
 * `/docs`: the API reference, rendered in the browser by Scalar (@scalar/api-reference) from
 * `/openapi.json`. The renderer's bundle is served by this process from the installed package: no CDN,
 * so it works on an air-gapped install. Scalar's usage telemetry, its AI agent and its web fonts (loaded
 * from Scalar's servers) are off, so the page makes no request beyond this service.
 */
const BUNDLE_PATH = "/docs/assets/scalar-api-reference.js";
const bundleFile = createRequire(import.meta.url).resolve("@scalar/api-reference/browser/standalone.js");

const CONFIGURATION = {
  url: "/openapi.json",
  telemetry: false,
  withDefaultFonts: false,
  agent: { disabled: true },
  showDeveloperTools: "never",
  documentDownloadType: "json",
  hideClientButton: false,
  defaultOpenAllTags: false,
  metaData: { title: "loyalty-redemptions — API reference" },
};

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>loyalty-redemptions — API reference</title>
<style>body{margin:0} :root{--scalar-font:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;--scalar-font-code:ui-monospace,SFMono-Regular,Menlo,monospace}</style>
</head>
<body>
<noscript>This reference needs JavaScript. The same content is at <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1) and in docs/api.md.</noscript>
<div id="app"></div>
<script src="${BUNDLE_PATH}"></script>
<script>Scalar.createApiReference("#app", ${JSON.stringify(CONFIGURATION)});</script>
</body>
</html>
`;

export function registerDocsPage(app: Router): void {
  let bundle: Buffer | undefined;
  app.get("/docs", (c) => c.html(PAGE));
  app.get(BUNDLE_PATH, (c) => {
    bundle ??= readFileSync(bundleFile);
    return c.body(new Uint8Array(bundle), 200, { "content-type": "text/javascript; charset=utf-8", "cache-control": "public, max-age=3600" });
  });
}
