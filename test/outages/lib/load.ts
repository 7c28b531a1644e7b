import { randomUUID } from "node:crypto";
import { call, describe, errorCode, isDefinite, sleep, unavailableShapeProblems, type Answer } from "./http.js";
import { accountState, ANSWER_BOUND_MS, CLIENT_CAP_MS, keyEffects, pendingRequests, type Rig, type Tenant } from "./rig.js";

/**
 * A bounded load of redemption creates that keeps going through a fault: `clients` loops, each sending
 * a create with a fresh key (one in five without a key, on a second account) then pausing `thinkMs`,
 * plus one reader polling the account. During the load a non-final answer is only recorded (the client
 * moves on); `settle()` afterwards retries, with the same key, every key that has no final answer —
 * except every other key answered only 503, which is left alone to prove that a 503 changed nothing.
 */
export interface KeyRecord {
  key: string;
  keyed: boolean;
  attempts: Answer[];
  leftAlone: boolean;
}

/** A time window in which some dependency was down (`outcome_unknown` is only acceptable in Postgres's). */
export interface Window {
  from: number;
  to: number;
}

export class OutageLoad {
  readonly records: KeyRecord[] = [];
  readonly reads: Answer[] = [];
  private stopped = false;
  private running: Promise<void> | null = null;

  constructor(
    private readonly rig: Rig,
    private readonly tenant: Tenant,
    private readonly options: { clients: number; thinkMs: number } = { clients: 8, thinkMs: 100 },
  ) {}

  private create(record: KeyRecord): Promise<Answer> {
    const body = { account: record.keyed ? this.tenant.account : this.tenant.unkeyedAccount, reward: this.tenant.reward };
    return call(this.rig.baseUrl, "POST", "/v1/loyalty/redemptions", { secretKey: this.tenant.secretKey, ...(record.keyed ? { idempotencyKey: record.key } : {}), body, capMs: CLIENT_CAP_MS });
  }

  start(): void {
    const client = async (index: number) => {
      for (let n = 0; !this.stopped; n++) {
        const record: KeyRecord = { key: `load-${index}-${n}-${randomUUID().slice(0, 8)}`, keyed: n % 5 !== 4, attempts: [], leftAlone: false };
        this.records.push(record);
        record.attempts.push(await this.create(record));
        await sleep(this.options.thinkMs);
      }
    };
    const reader = async () => {
      while (!this.stopped) {
        this.reads.push(await call(this.rig.baseUrl, "GET", `/v1/loyalty/accounts/${this.tenant.account}`, { secretKey: this.tenant.secretKey, capMs: CLIENT_CAP_MS }));
        await sleep(200);
      }
    };
    this.running = Promise.all([...Array.from({ length: this.options.clients }, (_, i) => client(i)), reader()]).then(() => {});
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  /** Retries (same key) every keyed record without a final answer, but for the 503-only ones left alone. */
  async settle(timeoutMs = 30_000): Promise<void> {
    let only503 = 0;
    const todo = this.records.filter((record) => {
      if (!record.keyed || isDefinite(record.attempts.at(-1)!)) return false;
      if (record.attempts.every((a) => a.status === 503) && only503++ % 2 === 0) {
        record.leftAlone = true;
        return false;
      }
      return true;
    });
    const deadline = Date.now() + timeoutMs;
    const worker = async () => {
      for (let record = todo.pop(); record; record = todo.pop()) {
        let backoff = 100;
        while (!isDefinite(record.attempts.at(-1)!) && Date.now() < deadline) {
          record.attempts.push(await this.create(record));
          if (!isDefinite(record.attempts.at(-1)!)) await sleep((backoff = Math.min(backoff * 2, 1_000)));
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
  }

  /**
   * Every broken promise, as one line each: answers slower than the bound or missing, answers outside
   * the contract, and (from Postgres) effects that disagree with what the clients were told.
   */
  async verdict(postgresDown: Window[] = []): Promise<{ problems: string[]; figures: Record<string, unknown> }> {
    const problems: string[] = [];
    const origin = this.records[0]?.attempts[0]?.startedAt ?? Date.now();
    const all = [...this.records.flatMap((record) => record.attempts), ...this.reads];
    const overlapsPostgresDown = (a: Answer) => postgresDown.some((w) => a.startedAt <= w.to + 1_000 && a.endedAt >= w.from);
    for (const answer of all) {
      if (answer.status === 0) problems.push(`hung or dropped: ${describe(answer, origin)}`);
      else if (answer.ms > ANSWER_BOUND_MS) problems.push(`answered after ${answer.ms} ms (> ${ANSWER_BOUND_MS}): ${describe(answer, origin)}`);
      if (answer.status === 503 && unavailableShapeProblems(answer).length > 0) problems.push(`503 outside the contract (${unavailableShapeProblems(answer).join(", ")}): ${describe(answer, origin)}`);
      if (answer.status === 500 && errorCode(answer) === "outcome_unknown" && !overlapsPostgresDown(answer)) problems.push(`500 outcome_unknown while Postgres was up: ${describe(answer, origin)}`);
      if (answer.status >= 500 && answer.status !== 503 && errorCode(answer) !== "outcome_unknown") problems.push(`unexpected ${answer.status}: ${describe(answer, origin)} ${answer.text.slice(0, 200)}`);
    }

    const merchant = this.tenant.merchant.merchant;
    const keyed = this.records.filter((record) => record.keyed);
    const effects = await keyEffects(this.rig.db, merchant, keyed.map((record) => record.key));
    let created = 0;
    for (const record of keyed) {
      const last = record.attempts.at(-1)!;
      const effect = effects.get(record.key);
      const history = record.attempts.map((a) => (a.status === 0 ? "no answer" : `${a.status}${errorCode(a) ? ` ${errorCode(a)}` : ""}`)).join(", ");
      if (record.leftAlone) {
        if (effect?.redemption) problems.push(`key ${record.key} was only ever answered 503 (${history}) and never retried, yet it took effect: ${effect.redemption}`);
        else if (effect?.status === "pending") problems.push(`key ${record.key} was only ever answered 503 and is still stored as pending (it could still run)`);
        continue;
      }
      if (!isDefinite(last)) {
        problems.push(`key ${record.key} never got a final answer: ${history}`);
        continue;
      }
      if (last.status === 201) {
        created++;
        // Every 2xx the clients saw is in Postgres, under its key, debited exactly once.
        const ids = new Set(record.attempts.filter((a) => a.status === 201).map((a) => a.body?.id));
        if (ids.size !== 1) problems.push(`key ${record.key} answered 201 with different redemptions: ${[...ids].join(", ")}`);
        if (!effect?.redemption || !ids.has(effect.redemption)) problems.push(`2xx lost: key ${record.key} answered ${[...ids].join(",")}, Postgres has ${effect?.redemption ?? "nothing"}`);
        else if (effect.debits !== 1) problems.push(`key ${record.key} debited ${effect.debits} times`);
      } else if (effect?.redemption) {
        problems.push(`key ${record.key} finally answered ${last.status} ${errorCode(last)} but has redemption ${effect.redemption}`);
      }
    }
    const keyedState = await accountState(this.rig.db, this.tenant.account);
    if (keyedState.redemptions !== created || keyedState.debits !== created) problems.push(`keyed account: ${created} keys answered 201, but it has ${keyedState.redemptions} redemptions and ${keyedState.debits} debits`);
    if (keyedState.balance !== this.tenant.startingBalance - created * this.tenant.cost) problems.push(`keyed account balance ${keyedState.balance}, expected ${this.tenant.startingBalance - created * this.tenant.cost}`);

    // Unkeyed requests cannot be retried: their 201s must be there, and nothing more than the requests
    // whose outcome the client could not know (no answer, outcome_unknown) may have taken effect.
    const unkeyed = this.records.filter((record) => !record.keyed).map((record) => record.attempts[0]!);
    const unkeyed201 = unkeyed.filter((a) => a.status === 201).length;
    const unkeyedUnknown = unkeyed.filter((a) => a.status === 0 || errorCode(a) === "outcome_unknown").length;
    const unkeyed503 = unkeyed.filter((a) => a.status === 503).length;
    const unkeyedState = await accountState(this.rig.db, this.tenant.unkeyedAccount);
    if (unkeyedState.redemptions < unkeyed201) problems.push(`unkeyed: ${unkeyed201} answered 201 but only ${unkeyedState.redemptions} redemptions exist`);
    if (unkeyedState.redemptions > unkeyed201 + unkeyedUnknown)
      problems.push(`unkeyed: ${unkeyedState.redemptions} redemptions exist for ${unkeyed201} answered 201 and ${unkeyedUnknown} without a known outcome: ${unkeyedState.redemptions - unkeyed201 - unkeyedUnknown} of the ${unkeyed503} answered 503 took effect`);
    const pending = await pendingRequests(this.rig.db, merchant);
    if (pending.length > 0) problems.push(`${pending.length} request(s) still pending after the drain: ${pending.slice(0, 5).map((p) => p.key).join(", ")}`);

    const byStatus: Record<string, number> = {};
    for (const answer of all) {
      const bucket = answer.status === 0 ? "no answer" : `${answer.status}${answer.status >= 500 && errorCode(answer) ? ` ${errorCode(answer)}` : ""}`;
      byStatus[bucket] = (byStatus[bucket] ?? 0) + 1;
    }
    const answered = all.filter((a) => a.status !== 0);
    return {
      problems,
      figures: {
        calls: all.length,
        by_status: byStatus,
        max_answer_ms: Math.max(0, ...answered.map((a) => a.ms)),
        unanswered: all.length - answered.length,
        keys: keyed.length,
        keys_created: created,
        keys_left_alone_after_503: keyed.filter((r) => r.leftAlone).length,
        keys_retried: keyed.filter((r) => !r.leftAlone && r.attempts.length > 1).length,
        unkeyed_requests: unkeyed.length,
      },
    };
  }

  /** Max answer time (ms; unanswered count as their wait) of the calls sent in a window. */
  maxMsIn(window: Window): number {
    const inWindow = [...this.records.flatMap((r) => r.attempts), ...this.reads].filter((a) => a.startedAt >= window.from && a.startedAt <= window.to);
    return Math.max(0, ...inWindow.map((a) => a.ms));
  }
}
