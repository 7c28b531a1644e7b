import type { Reporter, SerializedError, TestModule, TestRunEndReason } from "vitest/node";

/**
 * Prints one plain closing line, `tests: N passed, N failed, N skipped`, that any CI can read.
 *
 * "failed" counts every failure of the run, not only failed test cases: a file that could not load
 * (import error, top-level throw) has no test cases at all, and a failing `beforeAll` leaves its tests
 * skipped, so counting test cases alone would print `0 failed` for a failed run. Errors of a module or
 * a suite (load errors, hook errors) and unhandled errors each count as one failure, and a module vitest
 * reports failed counts at least once. The line never says `0 failed` when vitest's run failed.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>, reason: TestRunEndReason): void {
    const counts = summarise(testModules, unhandledErrors, reason);
    process.stdout.write(`\ntests: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`);
  }
}

export function summarise(
  testModules: ReadonlyArray<TestModule>,
  unhandledErrors: ReadonlyArray<SerializedError>,
  reason: TestRunEndReason,
): { passed: number; failed: number; skipped: number } {
  const counts = { passed: 0, failed: 0, skipped: 0 };
  for (const module of testModules) {
    let moduleFailures = 0;
    for (const test of module.children.allTests()) {
      const state = test.result().state;
      if (state === "passed") counts.passed++;
      else if (state === "failed") moduleFailures++;
      else counts.skipped++;
    }
    // Errors outside any test: the file failed to load, or a hook of the file or of a suite threw.
    moduleFailures += module.errors().length;
    for (const suite of module.children.allSuites()) moduleFailures += suite.errors().length;
    if (module.state() === "failed" && moduleFailures === 0) moduleFailures = 1;
    counts.failed += moduleFailures;
  }
  counts.failed += unhandledErrors.length;
  // Whatever else made the run fail (a cause vitest reports some other way) is a failure too.
  if (reason === "failed" && counts.failed === 0) counts.failed = 1;
  return counts;
}
