import { createDb } from "../db/client.js";
import { checkInvariants } from "../domain/invariants/checks.js";
import { loadConfigOrExit } from "./load-config.js";

/**
 * `npm run check:invariants`: checks DESIGN.md's invariants on the configured database, prints each
 * with its violating rows (at most 100 per check), and exits 1 if any is violated. Read-only.
 */
const config = loadConfigOrExit();
const db = createDb(config.DATABASE_URL, 1);
try {
  const results = await checkInvariants(db);
  let violated = 0;
  for (const result of results) {
    const ok = result.violations.length === 0;
    if (!ok) violated++;
    process.stdout.write(`${ok ? "ok  " : "FAIL"} [${result.id}] ${result.name}\n`);
    for (const row of result.violations) process.stdout.write(`       ${JSON.stringify(row)}\n`);
  }
  process.stdout.write(violated === 0 ? "all invariants hold\n" : `${violated} invariant check(s) violated\n`);
  process.exitCode = violated === 0 ? 0 : 1;
} finally {
  await db.destroy();
}
