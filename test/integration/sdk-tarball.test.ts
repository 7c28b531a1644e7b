import { execFile } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, test } from "vitest";
import { startHarness, type Harness } from "../helpers/harness.js";
import { listen } from "../helpers/listen.js";
import { WEBHOOK_TEST_CONFIG } from "../helpers/webhooks.js";

/**
 * What a merchant does: `npm pack` the SDK, `npm install` the tarball into an empty project, and run
 * a plain Node ESM script that imports it by name against a live service (the real app on a loopback
 * port, real workers) — and type-check a TypeScript file against the packed .d.ts.
 *
 * The package is packed from a copy (under .test-build/, so its build finds the repository's
 * typescript and @types/node): `prepare` rebuilds dist/, and the dist/ other test files import from
 * packages/client must not be rewritten while they run.
 */
const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const FIXTURES = join(ROOT, "test/fixtures/sdk-consumer");
const PATH = `${join(ROOT, "node_modules/.bin")}${delimiter}${process.env.PATH}`;

let h: Harness;
let server: Awaited<ReturnType<typeof listen>>;
let work: string;
let project: string;
let tarball: { path: string; bytes: number; files: string[] };

beforeAll(async () => {
  h = await startHarness(WEBHOOK_TEST_CONFIG);
  server = await listen(h.app.fetch);

  mkdirSync(join(ROOT, ".test-build"), { recursive: true });
  work = mkdtempSync(join(ROOT, ".test-build/sdk-pack-"));
  const copy = join(work, "client");
  for (const entry of ["package.json", "README.md", "tsconfig.json", "src", "scripts"]) {
    cpSync(join(ROOT, "packages/client", entry), join(copy, entry), { recursive: true });
  }
  const packed = await run("npm", ["pack", "--json", "--pack-destination", work], { cwd: copy, env: { ...process.env, PATH } });
  const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf("["))) as Array<{ filename: string; size: number; files: Array<{ path: string }> }>;
  tarball = { path: join(work, info!.filename), bytes: statSync(join(work, info!.filename)).size, files: info!.files.map((f) => f.path) };

  // An empty project, outside the repository: nothing resolves from its node_modules.
  project = mkdtempSync(join(tmpdir(), "sdk-consumer-"));
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "merchant-app", private: true, type: "module" }));
  await run("npm", ["install", tarball.path, "--no-audit", "--no-fund", "--prefer-offline"], { cwd: project, env: process.env });
}, 180_000);

afterAll(async () => {
  await server?.close();
  await h?.close();
  if (work) rmSync(work, { recursive: true, force: true });
  if (project) rmSync(project, { recursive: true, force: true });
});

/** node_modules entries, a scope's packages counted one by one. */
function installedPackages(dir: string): string[] {
  const names: string[] = [];
  for (const entry of readdirSync(join(dir, "node_modules"))) {
    if (entry.startsWith(".")) continue;
    if (entry.startsWith("@")) for (const scoped of readdirSync(join(dir, "node_modules", entry))) names.push(`${entry}/${scoped}`);
    else names.push(entry);
  }
  return names.sort();
}

test("the tarball holds built JS and .d.ts, no sources of the server; installing it pulls in standardwebhooks and nothing of the server", () => {
  expect(tarball.files).toEqual(expect.arrayContaining(["package.json", "README.md", "dist/index.js", "dist/index.d.ts", "dist/generated/openapi.d.ts"]));
  expect(tarball.files.filter((f) => !f.startsWith("dist/") && !["package.json", "README.md"].includes(f))).toEqual([]);
  const installed = installedPackages(project);
  expect(installed).toEqual(["@loyalty-redemptions/client", "@stablelib/base64", "fast-sha256", "standardwebhooks"]);
  console.log(`SDK install: tarball ${tarball.bytes} bytes (${tarball.files.length} files); ${installed.length} node_modules entries: ${installed.join(", ")}`);
});

test("a plain Node script using the installed package runs the loop against a live service", async () => {
  writeFileSync(join(project, "run.mjs"), await import("node:fs/promises").then((fs) => fs.readFile(join(FIXTURES, "run.mjs"), "utf8")));
  const { stdout } = await run(process.execPath, ["run.mjs"], {
    cwd: project,
    env: { ...process.env, LOYALTY_SECRET_KEY: h.merchant.secret_key_test, LOYALTY_BASE_URL: server.url },
    timeout: 60_000,
  });
  const steps = Object.fromEntries(stdout.trim().split("\n").map((line) => {
    const { step, ...fields } = JSON.parse(line) as { step: string } & Record<string, unknown>;
    return [step, fields];
  }));
  const requestId = expect.stringMatching(/^req_/);
  expect(steps.endpoint).toMatchObject({ id: expect.stringMatching(/^we_/), secret: true });
  expect(steps.setup).toMatchObject({ credit: 1500, reward: "free_product", requestId });
  expect(steps.create).toEqual({ id: expect.stringMatching(/^rdm_/), status: "fulfillment_pending", status201: 201, requestId, replayedSame: true, json: false });
  expect(steps.fulfill).toEqual({ status: "fulfilled", tracking: "TRK-1" });
  expect(steps.reverse).toEqual({ status: "reversed", balance: 1500 });
  expect(steps.insufficient).toEqual({ invalidRequest: true, notFound: false, status: 422, code: "insufficient_points", requestId });
  expect(steps.missing).toEqual({ notFound: true, invalidRequest: true, status: 404, code: "resource_missing", requestId });
  expect(steps.list).toEqual({ ids: [steps.create!.id] });
  expect(steps.webhooks).toEqual({
    types: ["loyalty.redemption.created true", "loyalty.redemption.fulfilled true", "loyalty.redemption.reversed true"],
    refused: 0,
    tampered: "WebhookVerificationError",
  });
}, 90_000);

test("a TypeScript consumer type-checks against the packed .d.ts, and wrong calls do not", async () => {
  writeFileSync(join(project, "consumer.ts"), await import("node:fs/promises").then((fs) => fs.readFile(join(FIXTURES, "consumer.ts"), "utf8")));
  writeFileSync(
    join(project, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", lib: ["ES2023"], types: [], strict: true, noEmit: true, skipLibCheck: false },
      files: ["consumer.ts"],
    }),
  );
  const tsc = join(ROOT, "node_modules/typescript/bin/tsc");
  const result = await run(process.execPath, [tsc, "-p", project], { cwd: project }).then(
    () => ({ code: 0, output: "" }),
    (error: { code: number; stdout: string }) => ({ code: error.code, output: error.stdout }),
  );
  expect(result.output).toBe("");
  expect(result.code).toBe(0);

  // And the same file with one expect-error removed fails: the check is not vacuous.
  const broken = (await import("node:fs/promises").then((fs) => fs.readFile(join(project, "consumer.ts"), "utf8"))).replace("// @ts-expect-error: `reward` is required\n", "");
  writeFileSync(join(project, "consumer.ts"), broken);
  const failed = await run(process.execPath, [tsc, "-p", project], { cwd: project }).then(() => "", (error: { stdout: string }) => error.stdout);
  expect(failed).toMatch(/consumer\.ts\(\d+,\d+\): error TS2345|error TS2741/);
}, 60_000);
