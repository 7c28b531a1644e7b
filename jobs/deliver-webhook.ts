import { randomUUID } from "node:crypto";
import { DelayedError, type Job } from "bullmq";
import { claimDelivery, recordAttempt, releaseLease, type ClaimedDelivery } from "../src/domain/webhooks/deliveries.js";
import { acquireEndpointSlot, releaseEndpointSlot } from "../src/queue/endpoint-slots.js";
import { deliveryJobId } from "../src/domain/webhooks/relay.js";
import type { JobPayload } from "../src/queue/catalog.js";
import { logEnqueueFailure } from "../src/ops/outages.js";
import { enqueue } from "../src/queue/producer.js";
import { countAttempt } from "../src/webhooks/attempt-counts.js";
import { sendWebhook } from "../src/webhooks/sender.js";
import { signWebhook } from "../src/webhooks/standard-webhooks.js";
import type { WorkerDeps } from "./deps.js";

/** The lease outlives the send's own timeout, so it only runs out when the worker died mid-send. */
const LEASE_MARGIN_MS = 30_000;

/**
 * One HTTP attempt of one delivery. Re-reads the delivery row; a delivery that is finished, not due,
 * or held by another worker is left alone, so a duplicate or late job sends nothing. The outcome and
 * the next attempt time are written to Postgres before the next wake-up is enqueued; if that enqueue
 * is lost, the sweeper finds the due row.
 */
export async function deliverWebhook(deps: WorkerDeps, job: Job<JobPayload<"deliver-webhook">>, token?: string) {
  const { config } = deps;
  const leaseMs = config.WEBHOOK_TIMEOUT_MS + LEASE_MARGIN_MS;
  const holder = `${job.data.deliveryId}:${randomUUID()}`;
  const takeSlot = (endpointId: string) =>
    acquireEndpointSlot(deps.redis, config.QUEUE_PREFIX, endpointId, holder, { cap: config.WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT, leaseMs });
  // The endpoint already has its maximum of sends in flight: come back shortly, without holding a
  // worker slot — the rest of the pool keeps flowing.
  const endpointBusy = () => backToDelayed(job, Date.now() + 50 + Math.floor(Math.random() * 200), token);

  let slotOf = job.data.endpointId;
  if (slotOf && !(await takeSlot(slotOf))) return endpointBusy();
  try {
    const claim = await claimDelivery(deps.db, job.data.deliveryId, { now: new Date(), leaseMs, secretKey: config.WEBHOOK_SECRET_KEY });
    if (claim.outcome === "not_due") return await backToDelayed(job, claim.at.getTime(), token);
    if (claim.outcome !== "claimed") return { outcome: claim.outcome };
    if (!slotOf) {
      // A job from before endpoint ids were in the payload: take the slot now, or give the lease back.
      if (!(await takeSlot(claim.delivery.endpointId))) {
        await releaseLease(deps.db, claim.delivery.id, claim.delivery.attempts);
        return await endpointBusy();
      }
      slotOf = claim.delivery.endpointId;
    }
    return await sendAndRecord(deps, job, claim.delivery);
  } finally {
    if (slotOf) await releaseEndpointSlot(deps.redis, config.QUEUE_PREFIX, slotOf, holder).catch(() => {});
  }
}

/** Not counted as a failed job attempt: the job sleeps in BullMQ's delayed set until `at`. */
async function backToDelayed(job: Job, at: number, token?: string): Promise<never> {
  await job.moveToDelayed(at, token);
  throw new DelayedError();
}

async function sendAndRecord(deps: WorkerDeps, job: Job, delivery: ClaimedDelivery) {
  const { config } = deps;
  // Same webhook-id (the event id) on every attempt and redelivery; a fresh timestamp per attempt.
  const headers = signWebhook(delivery.secrets, delivery.eventId, new Date(), delivery.payload);
  const result = await sendWebhook(deps.webhooks.dispatcher, deps.webhooks.allow, {
    url: delivery.url,
    headers: { ...headers },
    body: delivery.payload,
    timeoutMs: config.WEBHOOK_TIMEOUT_MS,
  });
  const recorded = await recordAttempt(deps.db, delivery, result, { now: new Date(), schedule: config.WEBHOOK_RETRY_SCHEDULE });
  if (recorded.recorded) await countAttempt(deps.redis, config.QUEUE_PREFIX, result.error);
  deps.logger.info(
    { delivery: delivery.id, event: delivery.eventId, endpoint: delivery.endpointId, attempt: recorded.attempts, status_code: result.statusCode, error: result.error, ms: result.durationMs, outcome: recorded.status },
    "webhook attempt",
  );
  if (recorded.recorded && recorded.status === "pending" && recorded.nextAttemptAt) {
    const jobId = deliveryJobId({ id: delivery.id, attempts: recorded.attempts });
    const delay = Math.max(0, recorded.nextAttemptAt.getTime() - Date.now());
    await enqueue(deps.queues, "deliver-webhook", { deliveryId: delivery.id, endpointId: delivery.endpointId }, { jobId, delay }).catch(
      logEnqueueFailure(deps.logger, "could not schedule the next attempt; the sweeper will", { delivery: delivery.id }),
    );
  }
  return { outcome: recorded.status, attempt: recorded.attempts, status_code: result.statusCode, error: result.error };
}
