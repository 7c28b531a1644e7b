import { isOutage } from "../src/ops/outages.js";
import type { WorkerDeps } from "./deps.js";

/**
 * Runs `round` every `intervalMs` until stopped, the way the worker's Postgres-driven loops (the relay,
 * the expiry) run: a round that says more is waiting (it took a full batch) is followed at once by the
 * next, so a backlog drains without waiting out the interval; a failed round is logged (an outage is
 * reported once, by the monitor) and the next one tries again. Rounds never overlap.
 */
export function startPollingLoop(deps: WorkerDeps, name: string, intervalMs: number, round: () => Promise<{ more: boolean }>): { stop: () => Promise<void> } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const tick = async () => {
    try {
      while (!stopped && (await round()).more);
    } catch (error) {
      if (isOutage(error)) deps.monitor.down("postgres", error);
      else deps.logger.warn({ err: error, loop: name }, "loop round failed; will retry");
    }
    if (!stopped) timer = setTimeout(() => (running = tick()), intervalMs);
  };
  timer = setTimeout(() => (running = tick()), intervalMs);
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
