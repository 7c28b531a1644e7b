import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { CONSOLE_ACTION_RETENTION_DAYS, runSweepsOnce } from "../../jobs/sweepers.js";
import { findSession, openSession, recordAction } from "../../src/domain/console/sessions.js";
import { startHarness, type Harness } from "../helpers/harness.js";

/**
 * Retention of the console's tables, run as the worker runs it (runSweepsOnce): sessions past
 * `expires_at` are deleted (not only at sign-out), unexpired ones are kept; the action log is kept
 * CONSOLE_ACTION_RETENTION_DAYS days. The sweeps' plans are checked in query-plans.test.ts.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({}, { workers: false });
});
afterAll(async () => h?.close());

const DAY_MS = 86_400_000;

describe("console retention sweeps", () => {
  test("an expired session is deleted by runSweepsOnce; an unexpired one is kept and still signs in", async () => {
    const db = h.deps.db;
    const scope = { merchantId: h.merchant.merchant, livemode: false };
    const key = await db.selectFrom("api_keys").select(["key_hash", "last4"]).where("merchant_id", "=", scope.merchantId).where("livemode", "=", false).executeTakeFirstOrThrow();
    const expired = await openSession(db, scope, { hash: key.key_hash, last4: key.last4! });
    const justExpired = await openSession(db, scope, { hash: key.key_hash, last4: key.last4! });
    const current = await openSession(db, scope, { hash: key.key_hash, last4: key.last4! });
    await db.updateTable("console_sessions").set({ expires_at: new Date(Date.now() - DAY_MS) }).where("id", "=", expired.session.id).execute();
    await db.updateTable("console_sessions").set({ expires_at: new Date(Date.now() - 1000) }).where("id", "=", justExpired.session.id).execute();

    const counts = await runSweepsOnce(h.workerDeps);
    expect(counts.expiredConsoleSessions).toBe(2);
    const left = await db.selectFrom("console_sessions").select("id").execute();
    expect(left.map((row) => row.id)).toEqual([current.session.id]);
    expect((await findSession(db, current.token))?.id).toBe(current.session.id);
    expect(await findSession(db, expired.token)).toBeNull();
    expect((await runSweepsOnce(h.workerDeps)).expiredConsoleSessions).toBe(0);
  });

  test(`console actions older than ${CONSOLE_ACTION_RETENTION_DAYS} days are deleted; younger ones are kept`, async () => {
    const db = h.deps.db;
    const scope = { merchantId: h.merchant.merchant, livemode: false };
    const key = await db.selectFrom("api_keys").select(["key_hash", "last4"]).where("merchant_id", "=", scope.merchantId).where("livemode", "=", false).executeTakeFirstOrThrow();
    const { session } = await openSession(db, scope, { hash: key.key_hash, last4: key.last4! });
    for (const target of ["old", "almost", "new"]) await recordAction(db, session, { action: "test.retention", target, outcome: "succeeded" });
    const age = (days: number) => new Date(Date.now() - days * DAY_MS);
    await db.updateTable("console_actions").set({ created_at: age(CONSOLE_ACTION_RETENTION_DAYS + 1) }).where("target", "=", "old").execute();
    await db.updateTable("console_actions").set({ created_at: age(CONSOLE_ACTION_RETENTION_DAYS - 1) }).where("target", "=", "almost").execute();

    const counts = await runSweepsOnce(h.workerDeps);
    expect(counts.expiredConsoleActions).toBe(1);
    const left = await db.selectFrom("console_actions").select("target").where("action", "=", "test.retention").orderBy("seq").execute();
    expect(left.map((row) => row.target)).toEqual(["almost", "new"]);
  });
});
