import { execFileSync, spawn } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, test } from "vitest";
import { createTestEnvironment, destroyTestEnvironment, REDIS_URL } from "../helpers/harness.js";

/**
 * `npm run demo` end to end, as a new user runs it: the compiled script starts its own web and worker
 * (none is running on the port), runs the whole sandbox loop through the typed client, verifies every
 * webhook, and exits 0. Built into its own folder so it cannot read files another test's build is
 * rewriting in dist/.
 */
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const OUT = `${ROOT}/dist/.demo-test`;
let environment: Awaited<ReturnType<typeof createTestEnvironment>>;

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

beforeAll(async () => {
  execFileSync(process.execPath, [`${ROOT}/node_modules/typescript/bin/tsc`, "-p", `${ROOT}/tsconfig.json`, "--outDir", OUT], { stdio: "inherit" });
  environment = await createTestEnvironment();
}, 120_000);
afterAll(async () => {
  if (environment) await destroyTestEnvironment(environment);
});

test("npm run demo: the whole loop, exit 0, a readable transcript", async () => {
  const env = {
    ...process.env,
    DATABASE_URL: environment.databaseUrl,
    REDIS_URL,
    QUEUE_PREFIX: environment.queuePrefix,
    PORT: String(await freePort()),
    LOG_LEVEL: "info",
  };
  const child = spawn(process.execPath, [`${OUT}/scripts/demo.js`], { env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));

  expect(code, `${stdout}\n${stderr}`).toBe(0);
  expect(stdout).toMatch(/service started at http:\/\/127\.0\.0\.1:\d+/);
  expect(stdout).toMatch(/payment pay_\w+: completed, charged 2499 of 2999 EUR/);
  expect(stdout).toMatch(/payment pay_\w+: failed \(card_declined\)/);
  for (const line of ['ok   redemption status: "applied"', 'ok   redemption status: "released"', 'ok   after reverse: "reversed"', "ok   events received and verified: 7"]) {
    expect(stdout).toContain(line);
  }
  expect(stdout.match(/webhook ✓ verified/g)).toHaveLength(7);
  // Each step's webhooks are printed under its own heading (not under the next one's).
  const section = (n: number) => stdout.slice(stdout.indexOf(`\n${n}. `), stdout.indexOf(`\n${n + 1}. `));
  const webhooksIn = (n: number) => [...section(n).matchAll(/webhook ✓ verified {2}(\S+)/g)].map((m) => m[1]).sort();
  expect(webhooksIn(1)).toEqual(["loyalty.redemption.applied", "loyalty.redemption.created"]);
  expect(webhooksIn(2)).toEqual(["loyalty.redemption.created", "loyalty.redemption.released"]);
  expect(webhooksIn(3)).toEqual(["loyalty.redemption.created", "loyalty.redemption.fulfilled", "loyalty.redemption.reversed"]);
  expect(stdout).not.toContain("FAIL");
  expect(stdout.trim().endsWith("DEMO OK: every step did what it should.")).toBe(true);
}, 120_000);
