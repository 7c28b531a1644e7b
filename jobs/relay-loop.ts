import { deliveryJobId, firstPerEndpoint, relayEvents } from "../src/domain/webhooks/relay.js";
import { isOutage } from "../src/ops/outages.js";
import { enqueueMany } from "../src/queue/producer.js";
import type { WorkerDeps } from "./deps.js";
import { startPollingLoop } from "./polling-loop.js";

const RELAY_BATCH = 1000;

/**
 * Relays unpublished events into deliveries, then (after the commit) enqueues one job per endpoint
 * that got deliveries: that job claims and sends all of the endpoint's due ones. An enqueue that fails
 * leaves due delivery rows behind, which the sweeper re-drives.
 */
export async function relayAndEnqueue(deps: WorkerDeps): Promise<number> {
  const relayed = await relayEvents(deps.db, RELAY_BATCH);
  try {
    await enqueueMany(
      deps.queues,
      "deliver-webhook",
      firstPerEndpoint(relayed.deliveries).map((delivery) => ({ payload: { endpointId: delivery.endpoint_id }, jobId: deliveryJobId(delivery) })),
    );
  } catch (error) {
    if (isOutage(error)) deps.monitor.down("redis", error);
    else deps.logger.warn({ err: error, deliveries: relayed.deliveries.length }, "enqueue after relay failed; the sweeper will re-drive");
  }
  return relayed.events;
}

/**
 * Why a polling loop in the worker rather than a job kicked by whoever writes events: events are
 * written by many transactions (REST jobs, inbound webhooks, expiry), and a kick after commit would
 * have to be added, and kept, in each of them. One indexed query on the partial index
 * `events_unpublished` every WEBHOOK_RELAY_INTERVAL_MS is cheap, catches every writer, and several
 * worker processes can poll at once (SKIP LOCKED). The sweeper runs the same relay as a backstop.
 */
export function startRelayLoop(deps: WorkerDeps): { stop: () => Promise<void> } {
  // A full batch means more are waiting: keep going before sleeping.
  return startPollingLoop(deps, "relay", deps.config.WEBHOOK_RELAY_INTERVAL_MS, async () => ({ more: (await relayAndEnqueue(deps)) === RELAY_BATCH }));
}
