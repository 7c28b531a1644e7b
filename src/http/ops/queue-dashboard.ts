import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { HonoAdapter } from "@bull-board/hono";
import { serveStatic } from "@hono/node-server/serve-static";
import type { Hono } from "hono";
import { allQueues, type Queues } from "../../queue/producer.js";

export const DASHBOARD_PATH = "/admin/queues";

/**
 * Bull Board over every queue; mounted behind the operator token by the app. Read-only unless
 * ADMIN_QUEUE_ACTIONS=true: retrying, promoting, cleaning or removing jobs is an explicit choice.
 */
export function queueDashboard(queues: Queues, allowActions = false): Hono {
  const adapter = new HonoAdapter(serveStatic);
  adapter.setBasePath(DASHBOARD_PATH);
  createBullBoard({ queues: allQueues(queues).map((queue) => new BullMQAdapter(queue, { readOnlyMode: !allowActions })), serverAdapter: adapter });
  return adapter.registerPlugin();
}
