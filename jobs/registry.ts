import type { Job } from "bullmq";
import type { JobName } from "../src/queue/catalog.js";
import type { WorkerDeps } from "./deps.js";
import { deliverWebhook } from "./deliver-webhook.js";
import { executeRequest } from "./execute-request.js";
import { processInboundWebhookJob } from "./process-inbound-webhook.js";

/**
 * `token` is the worker's lock token, needed by jobs that move themselves back to delayed. `signal` is
 * aborted when the worker shuts down: a job that would go on for a while (draining an endpoint) stops
 * taking new work and ends, rather than holding the shutdown up.
 */
export type JobHandler = (deps: WorkerDeps, job: Job, token?: string, signal?: AbortSignal) => Promise<unknown>;

/** Job name → handler; the file that handles a job is named after it. */
export const JOB_HANDLERS: Record<JobName, JobHandler> = {
  "execute-request": executeRequest,
  "process-inbound-webhook": processInboundWebhookJob,
  "deliver-webhook": deliverWebhook,
};
