import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import { signWebhook } from "../../src/webhooks/standard-webhooks.js";
import { closedLoop, openLoop, secs, waitUntil, type LoadResult, type Service } from "../lib.js";
import { cpuPerOp, serviceMeter } from "./context.js";

export interface S4Result {
  closed: LoadResult & { clients: number; duplicates: number };
  cpuMsPerWebhook: Record<string, number>;
  /** From the end of the load until no stored webhook is left unprocessed (bounded). */
  drainSecondsAfterLoad: number;
  /** Stored webhooks / (load seconds + drain seconds): end-to-end processing rate. */
  processedPerSecond: number;
  drained: boolean;
  stored: number;
  /** Open loop at the target rate: p99 at 2,500/s. */
  atTarget: LoadResult & { offeredRate: number };
}

/**
 * S4 — inbound webhook ingest: signed (Standard Webhooks, the merchant's payments secret) POSTs to
 * /webhooks/:merchant/payments; every 10th request re-sends an earlier webhook-id (a duplicate, answered
 * 200 without a second row or job). The event is a `payment.succeeded` referencing no redemption —
 * most of a provider's traffic — which the INSERT that accepts it stores processed (no job, no worker:
 * settle-without-effect.ts); a webhook that names a redemption is applied by a worker in a transaction
 * of its own, which this scenario does not measure.
 */
export async function s4Inbound(svc: Service, clients = 32): Promise<S4Result> {
  const secret = svc.merchant.inbound_secrets.payments;
  const path = `/webhooks/${svc.merchant.merchant}/payments`;
  const sent: string[] = [];
  let duplicates = 0;
  const send = async (i: number) => {
    let id: string;
    if (i % 10 === 9 && sent.length > 0) {
      id = sent[Math.floor(Math.random() * sent.length)]!;
      duplicates++;
    } else {
      id = `msg_${randomUUID()}`;
      if (sent.length < 100_000) sent.push(id);
    }
    const body = JSON.stringify({ id: `pay_${id.slice(4, 28)}`, type: "payment.succeeded", created: Math.floor(Date.now() / 1000), livemode: false, data: { object: { id: `pay_${id.slice(4, 28)}`, amount: 1000, currency: "EUR", discounts: [] } } });
    const headers = signWebhook([secret], id, new Date(), body);
    const res = await svc.api.pool.request({ method: "POST", path, headers: { "content-type": "application/json", ...headers }, body });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`inbound ${res.statusCode}: ${text.slice(0, 200)}`);
  };
  let counter = 0;
  const op = () => send(counter++);
  await closedLoop(clients, secs(2, 0.5) * 1000, op); // warm-up
  const unprocessed = async () => Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM inbound_webhooks WHERE processed_at IS NULL`.execute(svc.db)).rows[0]!.n);
  await waitUntil(async () => (await unprocessed()) === 0, 60_000, 100);
  const storedBefore = Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM inbound_webhooks`.execute(svc.db)).rows[0]!.n);
  duplicates = 0;
  const meter = serviceMeter(svc);
  meter.start();
  const closed = await closedLoop(clients, secs(15, 3) * 1000, op);
  const loadEnded = performance.now();
  const drained = await waitUntil(async () => (await unprocessed()) === 0, secs(120, 30) * 1000, 50);
  const drainSecondsAfterLoad = (performance.now() - loadEnded) / 1000;
  const cpu = meter.stop();
  const stored = Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM inbound_webhooks`.execute(svc.db)).rows[0]!.n) - storedBefore;
  const atTarget = await openLoop(Number(process.env.S4_TARGET_RATE ?? 2500), secs(10, 2) * 1000, op);
  await waitUntil(async () => (await unprocessed()) === 0, secs(120, 30) * 1000, 100);
  return {
    closed: { ...closed, clients, duplicates },
    cpuMsPerWebhook: cpuPerOp(cpu.cpuSeconds, closed.ok),
    drainSecondsAfterLoad,
    processedPerSecond: stored / (closed.seconds + drainSecondsAfterLoad),
    drained,
    stored,
    atTarget,
  };
}
