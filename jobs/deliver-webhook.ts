import { randomUUID } from "node:crypto";
import { DelayedError, type Job } from "bullmq";
import type { Logger } from "pino";
import { claimDueDeliveries, EARLY_TOLERANCE_MS, endpointOfDelivery, releaseDeliveries, settleEndpoint, type ClaimedDelivery } from "../src/domain/webhooks/deliveries.js";
import { wakeUpJobId } from "../src/domain/webhooks/relay.js";
import type { JobPayload } from "../src/queue/catalog.js";
import { acquireEndpointSlots, releaseEndpointSlots } from "../src/queue/endpoint-slots.js";
import { logEnqueueFailure } from "../src/ops/outages.js";
import { enqueue } from "../src/queue/producer.js";
import { sendWebhook, type SendResult } from "../src/webhooks/sender.js";
import { signWebhook } from "../src/webhooks/standard-webhooks.js";
import type { WorkerDeps } from "./deps.js";

/**
 * How long one job keeps claiming for its endpoint before it makes way (its in-flight sends still
 * finish): the next turn queues behind the other endpoints' jobs, so a big backlog takes turns.
 */
const DRAIN_BUDGET_MS = 2_000;
/**
 * Leases (of deliveries and of endpoint slots) outlive all a job can still do once it has claimed: a
 * claimed delivery is sent before the budget runs out or given back then, and a send takes at most
 * the timeout. So they only run out when the worker died — or when a Redis failover lost the release
 * of its slots: until then every job for the endpoint finds it busy, so the margin is kept short. (A
 * lease that ran out under a job still recording its last attempts lets another job start early: the
 * endpoint briefly gets more than its cap in flight, nothing worse.)
 */
const leaseMsFor = (timeoutMs: number) => DRAIN_BUDGET_MS + timeoutMs + 5_000;
/** Deliveries a claim takes at least: more than a small window's worth, so a claim serves many sends. */
const MIN_CLAIM = 64;

/**
 * Delivers one endpoint's due deliveries. The job takes as many of the endpoint's in-flight slots as
 * are free (at most WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT across workers) and keeps that many signed POSTs
 * in flight: it claims due deliveries in batches as sends finish, and each outcome goes to the shared
 * attempts batch (one statement for the sends that finish together). When nothing is left to claim it
 * cancels what a disabled endpoint still had due and schedules the endpoint's next wake-up (the
 * earliest retry); Postgres holds that schedule, so a lost wake-up is re-driven by the sweeper.
 *
 * A job from before the upgrade names one delivery: it delivers that delivery's endpoint.
 */
export async function deliverWebhook(deps: WorkerDeps, job: Job<JobPayload<"deliver-webhook">>, token?: string, signal?: AbortSignal) {
  const { config } = deps;
  const endpointId = job.data.endpointId ?? ("deliveryId" in job.data ? await endpointOfDelivery(deps.db, job.data.deliveryId) : null);
  if (!endpointId) return { outcome: "finished" };
  const leaseMs = leaseMsFor(config.WEBHOOK_TIMEOUT_MS);
  const holder = `${job.id}:${randomUUID()}`;
  const cap = config.WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT;
  const slots = await acquireEndpointSlots(deps.redis, config.QUEUE_PREFIX, endpointId, holder, { cap, want: cap, leaseMs });
  // Every slot is taken: other jobs are draining this endpoint, and each settles it (looks for due
  // deliveries again) after giving its slots back — so after the rows this job was enqueued for were
  // written. They are that job's now: this one ends at once, holding no worker slot. (Slots of a
  // worker that died run out with their lease; then the sweeper's job finds them free.)
  if (slots === 0) return { outcome: "endpoint_busy", endpoint: endpointId };
  let drained: Drained;
  try {
    drained = await drainEndpoint(deps, endpointId, slots, leaseMs, deps.logger, signal);
  } finally {
    await releaseSlots(deps, endpointId, holder, slots);
  }
  const summary = { outcome: "drained", endpoint: endpointId, sent: drained.sent };
  // Out of budget: the rest waits its turn behind the other endpoints' jobs.
  if (!drained.exhausted) return backToDelayed(job, Date.now(), token);
  const { next } = await settleEndpoint(deps.db, endpointId, new Date());
  if (!next) return summary;
  const jobId = wakeUpJobId(endpointId, next.at);
  if (next.at.getTime() <= Date.now() + EARLY_TOLERANCE_MS || jobId === job.id) return backToDelayed(job, next.at.getTime(), token);
  // Jobs settling the same endpoint compute the same earliest retry, so their wake-ups dedupe into one.
  await enqueue(deps.queues, "deliver-webhook", { endpointId }, { jobId, delay: next.at.getTime() - Date.now() }).catch(
    logEnqueueFailure(deps.logger, "could not schedule the next attempt; the sweeper will", { endpoint: endpointId, delivery: next.id }),
  );
  return summary;
}

interface Drained {
  sent: number;
  /** Every due delivery was claimed (false: the budget ran out first). */
  exhausted: boolean;
}

/**
 * Keeps up to `slots` sends in flight to the endpoint until no due delivery is left or the budget is
 * spent, then waits for the sends and their records. Claims run ahead of the sends (one at a time, many
 * deliveries each), so a send never waits for a claim's round trip; what is claimed but not sent when
 * the budget runs out is given back, so the job ends within one send of its budget. A
 * slot frees when its send has its answer; the record goes on in the shared attempts batch. An error
 * recording an attempt (Postgres away) fails the job once every send has finished: the leases run out
 * and the sweeper re-drives.
 */
async function drainEndpoint(deps: WorkerDeps, endpointId: string, slots: number, leaseMs: number, logger: Logger, signal?: AbortSignal): Promise<Drained> {
  const deadline = Date.now() + DRAIN_BUDGET_MS;
  const ready: ClaimedDelivery[] = [];
  const sending = new Set<Promise<void>>();
  const recording = new Set<Promise<void>>();
  const failures: unknown[] = [];
  let claiming: Promise<void> | undefined;
  let sent = 0;
  let exhausted = false;
  const claimMore = (limit: number) => {
    claiming = claimDueDeliveries(deps.db, endpointId, { limit, now: new Date(), leaseMs, secretKey: deps.config.WEBHOOK_SECRET_KEY })
      .then((claimed) => {
        exhausted = claimed.length < limit;
        ready.push(...claimed);
      })
      .catch((error: unknown) => {
        failures.push(error);
      })
      .finally(() => (claiming = undefined));
  };
  for (;;) {
    // The worker shutting down ends the budget early: the rest goes back for another worker.
    const pastBudget = Date.now() >= deadline || signal?.aborted === true;
    const stopping = exhausted || failures.length > 0 || pastBudget;
    // Records that fall behind the sends (a slow Postgres) hold the claims back: memory stays bounded.
    const recordsBehind = recording.size >= 4 * slots;
    // Refill when one window is left to send: the claim comes back before the sends run dry, and each
    // takes at least MIN_CLAIM (what the budget does not get to is given back below).
    const claimTo = Math.max(2 * slots, MIN_CLAIM);
    if (!stopping && !claiming && !recordsBehind && ready.length <= slots) claimMore(claimTo - ready.length);
    while (failures.length === 0 && !pastBudget && sending.size < slots && ready.length > 0) {
      const delivery = ready.shift()!;
      const send = sendSigned(deps, delivery)
        .then(
          (result) => {
            const record = recordAndLog(deps, delivery, result, logger)
              .catch((error: unknown) => void failures.push(error))
              .finally(() => recording.delete(record));
            recording.add(record);
          },
          (error: unknown) => void failures.push(error),
        )
        .finally(() => sending.delete(send));
      sending.add(send);
      sent++;
    }
    // Past the budget, what is claimed but not sent is given back rather than sent, so the job ends
    // within one send of its budget; after a failure it is left to its leases.
    if (pastBudget && !claiming && ready.length > 0 && failures.length === 0) {
      await releaseDeliveries(deps.db, ready.splice(0)).catch((error: unknown) => void failures.push(error));
    }
    const waitFor: Promise<void>[] = [...sending];
    if (claiming) waitFor.push(claiming);
    if (waitFor.length === 0 && recordsBehind && !stopping) waitFor.push(...recording);
    if (waitFor.length === 0) break;
    await Promise.race(waitFor);
  }
  await Promise.all(recording);
  if (failures.length > 0) throw failures[0];
  return { sent, exhausted };
}

/** Every failure of the send itself is a classified result; only signing (no live secret) can reject. */
async function sendSigned(deps: WorkerDeps, delivery: ClaimedDelivery): Promise<SendResult> {
  const { config } = deps;
  // Same webhook-id (the event id) on every attempt and redelivery; a fresh timestamp per attempt.
  const headers = signWebhook(delivery.secrets, delivery.eventId, new Date(), delivery.payload);
  return sendWebhook(deps.webhooks.dispatcher, deps.webhooks.allow, {
    url: delivery.url,
    headers: { ...headers },
    body: delivery.payload,
    timeoutMs: config.WEBHOOK_TIMEOUT_MS,
  });
}

async function recordAndLog(deps: WorkerDeps, delivery: ClaimedDelivery, result: SendResult, logger: Logger): Promise<void> {
  const recorded = await deps.webhooks.attempts.add({ delivery, result });
  logger.info(
    { delivery: delivery.id, event: delivery.eventId, endpoint: delivery.endpointId, attempt: recorded.attempts, status_code: result.statusCode, error: result.error, ms: result.durationMs, outcome: recorded.status },
    "webhook attempt",
  );
}

/**
 * Gives the slots back. A release lost to a Redis hiccup (a failover's seconds of CLUSTERDOWN) would keep
 * the endpoint busy until the lease runs out, so it is tried a few times over about 3 s first.
 */
async function releaseSlots(deps: WorkerDeps, endpointId: string, holder: string, slots: number): Promise<void> {
  for (let attempt = 0; attempt < 4; attempt++) {
    try {
      return await releaseEndpointSlots(deps.redis, deps.config.QUEUE_PREFIX, endpointId, holder, slots);
    } catch {
      // 0.25 s, 0.5 s, 1 s, then 2 s before the last try; after it, the lease.
      await new Promise((resolve) => setTimeout(resolve, 250 * 2 ** attempt));
    }
  }
  await releaseEndpointSlots(deps.redis, deps.config.QUEUE_PREFIX, endpointId, holder, slots).catch(() => {});
}

/** Not counted as a failed job attempt: the job sleeps in BullMQ's delayed set until `at`. */
async function backToDelayed(job: Job, at: number, token?: string): Promise<never> {
  await job.moveToDelayed(at, token);
  throw new DelayedError();
}
