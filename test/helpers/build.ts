import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * A compiled copy of the service for tests that run its real processes (`node <dir>/src/bin/web.js`,
 * `<dir>/jobs/main.js`, `<dir>/scripts/start.js`). Built into `.test-build/<hash of the sources>`, never
 * into `dist/`: other test files rebuild `dist/` while we run, and a process restarted mid-rewrite would
 * load a half-written file. A build of the same sources is reused (by other files of this run and by
 * later runs); concurrent callers wait on a lock instead of compiling twice.
 */
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const BUILD_ROOT = join(ROOT, ".test-build");
const SOURCES = ["src", "jobs", "scripts", "migrations", "bench", "tsconfig.json", "package.json"];

function sourceHash(): string {
  const hash = createHash("sha256");
  const walk = (path: string) => {
    if (!existsSync(path)) return;
    if (statSync(path).isDirectory()) {
      for (const entry of readdirSync(path).sort()) walk(join(path, entry));
    } else if (/\.(ts|js|json|sql|sh|html|css)$/.test(path)) {
      hash.update(relative(ROOT, path)).update("\0").update(readFileSync(path)).update("\0");
    }
  };
  for (const source of SOURCES) walk(join(ROOT, source));
  return hash.digest("hex").slice(0, 16);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Returns the directory of a complete build of the current sources (compiling it if needed). */
export async function buildService(): Promise<string> {
  mkdirSync(BUILD_ROOT, { recursive: true });
  const hash = sourceHash();
  const dir = join(BUILD_ROOT, hash);
  const lock = `${dir}.lock`;
  for (let waited = 0; !existsSync(join(dir, ".complete")); waited += 100) {
    try {
      mkdirSync(lock);
    } catch {
      // Someone else is compiling these sources; a lock older than 5 minutes is a dead builder's.
      const lockedAt = statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now();
      if (waited > 300_000 || Date.now() - lockedAt > 300_000) rmSync(lock, { recursive: true, force: true });
      await sleep(100);
      continue;
    }
    try {
      if (existsSync(join(dir, ".complete"))) break;
      const tmp = `${dir}.tmp-${process.pid}`;
      rmSync(tmp, { recursive: true, force: true });
      execFileSync(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", join(ROOT, "tsconfig.json"), "--outDir", tmp, "--sourceMap", "false", "--declaration", "false"], {
        stdio: "inherit",
      });
      writeFileSync(join(tmp, ".complete"), new Date().toISOString());
      rmSync(dir, { recursive: true, force: true });
      renameSync(tmp, dir);
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
  // In use: keeps other runs' pruning away from it.
  utimesSync(dir, new Date(), new Date());
  pruneOldBuilds(hash);
  return dir;
}

/** Builds of other sources unused for an hour go (a run still using one is at most this old). */
function pruneOldBuilds(keep: string): void {
  for (const entry of readdirSync(BUILD_ROOT)) {
    if (entry === keep || entry.endsWith(".lock")) continue;
    const path = join(BUILD_ROOT, entry);
    const stat = statSync(path, { throwIfNoEntry: false });
    if (stat && Date.now() - stat.mtimeMs > 3_600_000) rmSync(path, { recursive: true, force: true });
  }
}
