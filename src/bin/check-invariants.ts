import { createDb } from "../db/client.js";
import { countDeadLetters } from "../domain/dead-letters.js";
import { checkInvariants, DEFAULT_GRACE_SECONDS } from "../domain/invariants/checks.js";
import { loadConfigOrExit } from "./load-config.js";

/**
 * `npm run check:invariants [-- --grace-seconds N]`: checks docs/guarantees.md's invariants 1–7 on the configured
 * database, prints each with its violating rows (at most 100 per check), and exits 1 if any is violated.
 * Read-only. Work younger than the grace period (default 300 s) is in flight and not judged; pass 0
 * after stopping traffic and letting the system drain.
 */
const graceArg = process.argv.indexOf("--grace-seconds");
const graceSeconds = graceArg >= 0 ? Number(process.argv[graceArg + 1]) : DEFAULT_GRACE_SECONDS;
if (!Number.isFinite(graceSeconds) || graceSeconds < 0) {
  process.stderr.write("--grace-seconds expects a number of seconds ≥ 0\n");
  process.exit(64);
}
const config = loadConfigOrExit();
const db = createDb(config.DATABASE_URL, 1, undefined, undefined, config.DATABASE_POOLING);
try {
  const results = await checkInvariants(db, { graceSeconds });
  let violated = 0;
  for (const result of results) {
    const ok = result.violations.length === 0;
    if (!ok) violated++;
    process.stdout.write(`${ok ? "ok  " : "FAIL"} [${result.id}] ${result.name}\n`);
    for (const row of result.violations) process.stdout.write(`       ${JSON.stringify(row)}\n`);
  }
  const dead = await countDeadLetters(db);
  process.stdout.write(
    `dead-lettered (failed ${config.MAX_ATTEMPTS} times, no longer retried; reported, not a violation): ` +
      `${dead.requests} request(s), ${dead.inbound_webhooks} inbound webhook(s)\n`,
  );
  process.stdout.write(violated === 0 ? "all invariants hold\n" : `${violated} invariant check(s) violated\n`);
  process.exitCode = violated === 0 ? 0 : 1;
} finally {
  await db.destroy();
}
