import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, test } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const REPORTER = fileURLToPath(new URL("../helpers/summary-reporter.ts", import.meta.url));
const VITEST = join(ROOT, "node_modules", "vitest", "vitest.mjs");

/**
 * Runs a separate vitest on a throw-away directory outside the repository (so the main suite never
 * collects these files), with our summary reporter only. `globals: true` lets the fixtures and the
 * config do without importing vitest, which does not resolve from a temporary directory.
 */
async function runVitest(files: Record<string, string>): Promise<{ code: number | null; output: string; summary: string | undefined }> {
  const dir = await mkdtemp(join(tmpdir(), "lr-summary-reporter-"));
  dirs.push(dir);
  const config = { test: { include: ["*.check.ts"], globals: true, reporters: [REPORTER], pool: "forks", maxWorkers: 1 } };
  await writeFile(join(dir, "vitest.config.mjs"), `export default ${JSON.stringify(config)};\n`);
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);

  // The outer run's variables (VITEST, VITEST_POOL_ID, …) would tell the inner one it is a worker.
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("VITEST")));
  const child = spawn(process.execPath, [VITEST, "run", "--root", dir, "--config", join(dir, "vitest.config.mjs")], {
    cwd: dir,
    env: { ...env, NO_COLOR: "1", CI: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", resolve);
  });
  return { code, output, summary: /^tests: .*$/m.exec(output)?.[0] };
}

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

const PASSING = `test("passes", () => {});\n`;

describe("summary reporter", () => {
  test("a passing run says 0 failed and exits 0", async () => {
    const run = await runVitest({ "pass.check.ts": PASSING });
    expect(run.summary, run.output).toBe("tests: 1 passed, 0 failed, 0 skipped");
    expect(run.code, run.output).toBe(0);
  });

  test("a file that throws at import counts as a failure, and the run exits non-zero", async () => {
    const run = await runVitest({
      "pass.check.ts": PASSING,
      "throws.check.ts": `throw new Error("boom at import");\ntest("never collected", () => {});\n`,
    });
    expect(run.summary, run.output).toBe("tests: 1 passed, 1 failed, 0 skipped");
    expect(run.code, run.output).not.toBe(0);
  });

  test("a missing import, a failing beforeAll and an unhandled error each count as a failure", async () => {
    const run = await runVitest({
      "missing-import.check.ts": `import "./does-not-exist.js";\ntest("never collected", () => {});\n`,
      "hook.check.ts": `beforeAll(() => { throw new Error("beforeAll boom"); });\ntest("skipped by its hook", () => {});\n`,
      "leak.check.ts":
        `test("leaks an error", () => { setTimeout(() => { throw new Error("unhandled boom"); }, 0); });\n` +
        `test("waits", async () => { await new Promise((resolve) => setTimeout(resolve, 100)); });\n`,
    });
    expect(run.summary, run.output).toBe("tests: 2 passed, 3 failed, 1 skipped");
    expect(run.code, run.output).not.toBe(0);
  });
});
