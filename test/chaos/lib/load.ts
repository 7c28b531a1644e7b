import { randomUUID } from "node:crypto";
import { signWebhook } from "../../../src/webhooks/standard-webhooks.js";

/**
 * A merchant's traffic while things break: redemptions retried with their keys until they get a final
 * answer (as a careful client does), hot and cold accounts, payment and warehouse webhooks sent
 * duplicated and out of order and retried until accepted, and manual releases and reversals. It
 * records what the outside world was promised, for the verification after the drain.
 */

export interface Tenant {
  merchant: string;
  key: string;
  inbound: { payments: string; warehouse: string };
}

export interface LoadStats {
  requests: number;
  byStatus: Record<string, number>;
  networkErrors: number;
  redemptionsCreated: number;
  replaysChecked: number;
  replayMismatches: string[];
  webhooksSent: number;
  webhookDuplicatesSent: number;
  manualActions: number;
  gaveUp: number;
  /** Slowest HTTP answer (ms) and the answers slower than the promised bound. */
  maxAnswerMs: number;
  slowAnswers: number;
  /** Calls that got no answer at all within the client's timeout (a hang, not a refused connection). */
  hangs: number;
}

export interface LoadRecord {
  /** Idempotency key → redemption id, for every create answered 2xx. */
  created: Map<string, { id: string; kind: RewardKind }>;
  /** `source:webhook-id` of every inbound webhook answered 2xx. */
  acceptedWebhooks: Set<string>;
  /** Create keys answered only 503 and then abandoned by their client: each must have changed nothing. */
  abandoned503: Set<string>;
  /** When each `500 outcome_unknown` was answered (allowed only while Postgres is down). */
  unknownOutcomes: { at: number; sentAt: number; path: string }[];
  /** A few of the slow answers and hangs, described. */
  latencySamples: string[];
  stats: LoadStats;
}

type RewardKind = "discount_amount" | "discount_limited" | "free_product" | "store_credit";
export interface Fixture {
  hot: string[];
  cold: string[];
  rewards: Record<RewardKind, string>;
}

const SHIPPING = { name: "Mira Olsen", line1: "Storgata 12", city: "Oslo", postal_code: "0155", country: "NO" };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;
const chance = (p: number) => Math.random() < p;
function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

export class LoadGenerator {
  readonly record: LoadRecord = {
    created: new Map(),
    acceptedWebhooks: new Set(),
    abandoned503: new Set(),
    unknownOutcomes: [],
    latencySamples: [],
    stats: { requests: 0, byStatus: {}, networkErrors: 0, redemptionsCreated: 0, replaysChecked: 0, replayMismatches: [], webhooksSent: 0, webhookDuplicatesSent: 0, manualActions: 0, gaveUp: 0, maxAnswerMs: 0, slowAnswers: 0, hangs: 0 },
  };

  constructor(
    private readonly baseUrl: string,
    private readonly tenant: Tenant,
    /** Retries stop here: by then faults have stopped and the fleet is whole, so it is generous. */
    private readonly retryUntil: () => number,
    /** Every answer must come within this (REQUEST_TIMEOUT_MS + 1 s). */
    private readonly answerBoundMs = Number.POSITIVE_INFINITY,
  ) {}

  /** One HTTP call, bounded in time; null on a network error or timeout. */
  private async raw(method: string, path: string, body: string | undefined, headers: Record<string, string>) {
    this.record.stats.requests++;
    const sentAt = Date.now();
    const stats = this.record.stats;
    try {
      const res = await fetch(this.baseUrl + path, { method, headers, ...(body === undefined ? {} : { body }), signal: AbortSignal.timeout(15_000) });
      const text = await res.text();
      const ms = Date.now() - sentAt;
      const bucket = String(res.status);
      stats.byStatus[bucket] = (stats.byStatus[bucket] ?? 0) + 1;
      const parsed = text ? (JSON.parse(text) as any) : undefined;
      stats.maxAnswerMs = Math.max(stats.maxAnswerMs, ms);
      if (ms > this.answerBoundMs) {
        stats.slowAnswers++;
        if (this.record.latencySamples.length < 10) this.record.latencySamples.push(`${method} ${path}: ${res.status}${parsed?.error?.code ? ` ${parsed.error.code}` : ""} after ${ms} ms`);
      }
      if (res.status === 500 && parsed?.error?.code === "outcome_unknown") this.record.unknownOutcomes.push({ at: Date.now(), sentAt, path });
      return { status: res.status, body: parsed };
    } catch (error) {
      stats.networkErrors++;
      if ((error as Error).name === "TimeoutError") {
        stats.hangs++;
        if (this.record.latencySamples.length < 10) this.record.latencySamples.push(`${method} ${path}: no answer after ${Date.now() - sentAt} ms`);
      }
      return null;
    }
  }

  /**
   * A REST write retried with the same key on 5xx, 409 in-progress and network errors. With
   * `mayAbandon503`, a key answered nothing but 503 so far is sometimes abandoned (a client that gives
   * up): recorded, so the verdict can check that it changed nothing.
   */
  async call(method: string, path: string, body: unknown, key = randomUUID(), options: { mayAbandon503?: boolean } = {}) {
    const headers = { authorization: `Bearer ${this.tenant.key}`, "content-type": "application/json", "idempotency-key": key };
    let backoff = 100;
    let only503 = true;
    for (;;) {
      const res = await this.raw(method, path, JSON.stringify(body), headers);
      only503 &&= res?.status === 503;
      const retryable = res === null || res.status >= 500 || (res.status === 409 && res.body?.error?.code === "idempotency_in_progress");
      if (!retryable) return { ...res, key };
      if (options.mayAbandon503 && only503 && chance(0.3)) {
        this.record.abandoned503.add(key);
        return { ...res, key };
      }
      if (Date.now() > this.retryUntil()) {
        this.record.stats.gaveUp++;
        // Say what kept it from an answer: the report is the only trace a failed chaos run leaves.
        process.stdout.write(`chaos: gave up on ${method} ${path} (key ${key}): last answer ${res === null ? "network error" : `${res.status} ${res.body?.error?.code ?? ""}`}\n`);
        return { status: 0, body: undefined, key };
      }
      await sleep(backoff + Math.random() * backoff);
      backoff = Math.min(backoff * 2, 1_000);
    }
  }

  /** A signed inbound webhook, retried (same webhook-id, fresh signature) until a 2xx, as providers do. */
  async webhook(source: "payments" | "warehouse", webhookId: string, type: string, object: Record<string, unknown>) {
    const body = JSON.stringify({ id: `evt_${randomUUID()}`, type, created: Math.floor(Date.now() / 1000), livemode: false, data: { object } });
    let backoff = 100;
    for (;;) {
      this.record.stats.webhooksSent++;
      const headers = { "content-type": "application/json", ...signWebhook([this.tenant.inbound[source]], webhookId, new Date(), body) };
      const res = await this.raw("POST", `/webhooks/${this.tenant.merchant}/${source}`, body, headers);
      if (res && res.status >= 200 && res.status < 300) {
        this.record.acceptedWebhooks.add(`${source}:${webhookId}`);
        return;
      }
      if (res && res.status < 500) throw new Error(`chaos: webhook refused ${res.status} ${JSON.stringify(res.body)}`);
      if (Date.now() > this.retryUntil()) {
        this.record.stats.gaveUp++;
        return;
      }
      await sleep(backoff + Math.random() * backoff);
      backoff = Math.min(backoff * 2, 1_000);
    }
  }

  /** Sends events in a shuffled order, some of them twice (same webhook-id), as a flaky provider does. */
  private async sendAll(source: "payments" | "warehouse", events: { type: string; object: Record<string, unknown> }[]) {
    const sends = events.map((event) => ({ ...event, id: `msg_${randomUUID()}` }));
    const queue = [...sends];
    for (const send of sends) if (chance(0.3)) queue.push(send);
    this.record.stats.webhookDuplicatesSent += queue.length - sends.length;
    for (const send of chance(0.4) ? shuffle(queue) : queue) await this.webhook(source, send.id, send.type, send.object);
  }

  async oneRound(fixture: Fixture): Promise<void> {
    const account = chance(0.6) ? pick(fixture.hot) : pick(fixture.cold);
    const kind = pick(Object.keys(fixture.rewards) as RewardKind[]);
    const body: Record<string, unknown> = { account, reward: fixture.rewards[kind] };
    if (kind === "free_product") body.shipping = SHIPPING;
    const res = await this.call("POST", "/v1/loyalty/redemptions", body, randomUUID(), { mayAbandon503: true });
    if (res.status === 422 && res.body?.error?.code === "insufficient_points") {
      await this.call("POST", "/v1/loyalty/transactions", { account, amount: 50_000, reason: "top-up" });
      return;
    }
    if (res.status !== 201) return;
    const id = res.body.id as string;
    this.record.created.set(res.key, { id, kind });
    this.record.stats.redemptionsCreated++;
    if (chance(0.2)) {
      // The client lost our answer and asks again with the same key: same redemption, no second debit.
      const again = await this.call("POST", "/v1/loyalty/redemptions", body, res.key);
      this.record.stats.replaysChecked++;
      if (again.status !== 201 || again.body?.id !== id) this.record.stats.replayMismatches.push(`${res.key}: ${again.status} ${again.body?.id}`);
    }

    if (kind === "discount_amount" || kind === "discount_limited") {
      const payment = { id: `pay_${randomUUID().replace(/-/g, "").slice(0, 20)}`, amount: 2999, currency: "EUR", discounts: [{ redemption: id }] };
      const scenario = pick([
        ["payment.created", "payment.completed"],
        ["payment.processing", "payment.canceled"],
        ["payment.completed"],
        ["payment.failed"],
        ["payment.canceled", "payment.completed"], // completion after a release: a settlement conflict
        ["payment.created"],
      ]);
      if (chance(0.1)) {
        this.record.stats.manualActions++;
        await this.call("POST", `/v1/loyalty/redemptions/${id}/release`, {});
      }
      await this.sendAll("payments", scenario.map((type) => ({ type, object: payment })));
    } else if (kind === "free_product") {
      const shipment = { redemption: id, tracking: "TRK123", carrier: "posten" };
      const scenario = pick([["shipment.shipped"], ["shipment.shipped", "shipment.returned"], ["shipment.canceled"], []]);
      await this.sendAll("warehouse", scenario.map((type) => ({ type, object: shipment })));
      if (scenario.length === 0 && chance(0.5)) {
        this.record.stats.manualActions++;
        await this.call("POST", `/v1/loyalty/redemptions/${id}/fulfill`, { tracking: "TRK9" });
      }
    } else if (kind === "store_credit" && chance(0.3)) {
      this.record.stats.manualActions++;
      await this.call("POST", `/v1/loyalty/redemptions/${id}/reverse`, { reason: "requested_by_customer" });
    }
  }

  /** `clients` concurrent loops until `stopAt()` (read each round: the injector may extend the load). */
  async run(fixture: Fixture, clients: number, stopAt: () => number): Promise<void> {
    await Promise.all(
      Array.from({ length: clients }, async () => {
        while (Date.now() < stopAt()) await this.oneRound(fixture);
      }),
    );
  }
}
