import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import { describe, expect, test } from "vitest";
import { createApp } from "../../src/http/app.js";
import { documentOnlyDeps, formatDocument } from "../../src/http/openapi/document.js";
import { undocumented } from "../helpers/openapi-coverage.js";

/**
 * openapi.json at the repository root is the document `GET /openapi.json` serves, committed so that SDK
 * generators, reviewers and `redocly lint` read it without running the service.
 */
const COMMITTED = new URL("../../openapi.json", import.meta.url);

describe("openapi.json", () => {
  test("the committed document is the one the app serves", async () => {
    const deps = documentOnlyDeps();
    try {
      const res = await createApp(deps).request("/openapi.json");
      expect(res.status).toBe(200);
      const served = formatDocument(await res.json());
      expect(served === readFileSync(COMMITTED, "utf8"), "openapi.json is stale: run npm run openapi").toBe(true);
    } finally {
      deps.redis.disconnect();
    }
  });

  test("redocly lint (recommended rules): 0 errors, 0 warnings", async () => {
    // Offline: no usage data, no update check (redocly.yaml also says telemetry: off).
    const env = { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true", NO_COLOR: "1" };
    const cli = new URL("../../node_modules/@redocly/cli/bin/cli.js", import.meta.url).pathname;
    const run = await promisify(execFile)(process.execPath, [cli, "lint", "--format=json", "openapi.json"], {
      cwd: new URL("../..", import.meta.url).pathname,
      env,
      maxBuffer: 32 * 1024 * 1024,
    }).catch((error: { stdout: string; stderr: string }) => error);
    const report = JSON.parse(run.stdout.slice(run.stdout.indexOf("{"))) as {
      totals: { errors: number; warnings: number };
      problems: { ruleId: string; message: string; location: { pointer: string }[] }[];
    };
    const problems = report.problems.map((p) => `${p.ruleId}: ${p.message} at ${p.location[0]?.pointer}`);
    expect(problems).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  });
});

describe("openapi.json describes everything", () => {
  test("every component schema, property and operation parameter has a description and an example", () => {
    const doc = JSON.parse(readFileSync(COMMITTED, "utf8")) as Parameters<typeof undocumented>[0];
    expect(undocumented(doc)).toEqual([]);
  });

  test("the check sees what it should", () => {
    const doc = {
      paths: { "/x/{id}": { get: { parameters: [{ name: "id", in: "path", schema: { type: "string" } }] } } },
      components: {
        schemas: {
          A: {
            type: "object",
            description: "A.",
            example: {},
            properties: {
              ref: { $ref: "#/components/schemas/B" },
              list: { type: "array", description: "L.", example: [], items: { type: "object", properties: { deep: { type: "string", example: "x" } } } },
              maybe: { description: "M.", example: null, anyOf: [{ type: "object", properties: { inner: { type: "string", description: "I." } } }, { type: "null" }] },
            },
          },
          B: { type: "object", properties: {} },
        },
      },
    };
    expect(undocumented(doc as never)).toEqual([
      "A.list[].deep: no description",
      "A.maybe.anyOf[0].inner: no example",
      "#/components/schemas/B: no description",
      "#/components/schemas/B: no example",
      "GET /x/{id} path id: no description",
      "GET /x/{id} path id: no example",
    ]);
  });
});
