/**
 * `npm run openapi`: writes openapi.json at the repository root from the app factory, without a server,
 * Postgres or Redis. test/integration/openapi.test.ts fails when the served document differs from it.
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createApp } from "../src/http/app.js";
import { documentOnlyDeps, formatDocument, openApiDocument } from "../src/http/openapi/document.js";

const target = fileURLToPath(new URL("../../openapi.json", import.meta.url));
const deps = documentOnlyDeps();
writeFileSync(target, formatDocument(openApiDocument(createApp(deps))));
deps.redis.disconnect();
console.log(`wrote ${target}`);
