import { beforeAll, expect, test } from "vitest";
import { freePort } from "../chaos/lib/private-services.js";
import { buildService } from "../helpers/build.js";
import { describeNonJson, expectAllJson, parseJsonLine } from "./lib/logs.js";
import { isAlive, killQuietly, runToExit, type Script, type ServiceProcess } from "./lib/processes.js";
import { printFigures } from "./lib/rig.js";

/**
 * Processes that cannot start say why in one clear JSON line naming the variable, and exit non-zero
 * within a few seconds: `release` (and `npm start`, which runs it first) with DATABASE_URL at a port
 * where nothing listens; any process with an invalid variable (exit 78, EX_CONFIG). The password in a
 * URL is never printed.
 */
const FEW_SECONDS_MS = 10_000;
let build: string;
let deadUrl: string;
let deadPort: number;

beforeAll(async () => {
  build = await buildService();
  deadPort = await freePort();
  deadUrl = `postgres://loyalty:s3cret-pw@127.0.0.1:${deadPort}/loyalty_nowhere`;
}, 120_000);

/** Whole text of the JSON lines, for "names the variable" checks. */
const jsonText = (proc: ServiceProcess) =>
  proc.lines
    .map((line) => parseJsonLine(line.text))
    .filter(Boolean)
    .map((json) => JSON.stringify(json))
    .join("\n");

const env = (extra: Record<string, string>) => ({ DATABASE_URL: deadUrl, REDIS_URL: "redis://127.0.0.1:1", LOG_LEVEL: "info", ...extra });

for (const [name, script] of [
  ["release", "src/bin/release.js"],
  ["npm start (start.js)", "scripts/start.js"],
] as [string, Script][]) {
  test(`${name} with Postgres unreachable: one JSON line naming DATABASE_URL, non-zero exit within a few seconds`, async () => {
    const { proc, exit, ms } = await runToExit(name, build, script, env({ PORT: String(await freePort()) }), FEW_SECONDS_MS + 5_000);
    const text = jsonText(proc);
    const all = proc.lines.map((line) => line.text).join("\n");
    const leftBehind = proc.descendants().filter(isAlive);
    leftBehind.forEach(killQuietly);
    printFigures(`${name} with postgres unreachable`, { exit_code: exit?.code ?? null, ms, lines: proc.lines.length, first_line: proc.lines[0]?.text.slice(0, 300) ?? null });

    expect.soft(exit, `${name} still running after ${FEW_SECONDS_MS + 5_000} ms`).not.toBeNull();
    expect.soft(ms ?? Number.POSITIVE_INFINITY, `${name} took ${ms} ms to give up`).toBeLessThanOrEqual(FEW_SECONDS_MS);
    expect.soft(exit?.code, `${name} exit code`).not.toBe(0);
    expect.soft(exit?.code ?? null, `${name} exits by itself`).not.toBeNull();
    expectAllJson([proc]);
    expect.soft(text, `${name}: a JSON line names DATABASE_URL; printed:\n${all.slice(0, 1500)}`).toContain("DATABASE_URL");
    expect.soft(text, `${name}: a JSON line names where it tried (127.0.0.1:${deadPort}); printed:\n${all.slice(0, 1500)}`).toContain(`127.0.0.1:${deadPort}`);
    expect.soft(proc.lines.length, `${name}: one clear line, not a flood:\n${all.slice(0, 1500)}`).toBeLessThanOrEqual(5);
    expect.soft(all, `${name} printed the password of DATABASE_URL`).not.toContain("s3cret-pw");
    expect.soft(leftBehind, `${name} left children running`).toEqual([]);
  }, 30_000);
}

for (const [name, script] of [
  ["web", "src/bin/web.js"],
  ["worker", "jobs/main.js"],
  ["release", "src/bin/release.js"],
] as [string, Script][]) {
  test(`${name} with an invalid variable: JSON naming it, exit 78`, async () => {
    const { proc, exit, ms } = await runToExit(name, build, script, env({ REQUEST_TIMEOUT_MS: "soon" }), FEW_SECONDS_MS);
    printFigures(`${name} with an invalid variable`, { exit_code: exit?.code ?? null, ms, first_line: proc.lines[0]?.text.slice(0, 300) ?? null });
    expect.soft(exit?.code, `${name} exit code`).toBe(78);
    expectAllJson([proc]);
    expect.soft(jsonText(proc), `${name}: a JSON line names REQUEST_TIMEOUT_MS; ${describeNonJson([proc])}`).toContain("REQUEST_TIMEOUT_MS");
  }, 30_000);
}
