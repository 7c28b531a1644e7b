import type { Generated } from "kysely";

export type WebhookDeliveryStatus = "pending" | "succeeded" | "failed" | "canceled";
export type WebhookAttemptError = "timeout" | "connect" | "dns" | "tls" | "http_status" | "ssrf_blocked";

/** One event to one endpoint. Postgres holds the schedule; BullMQ jobs are only wake-ups for it. */
export interface WebhookDeliveryTable {
  id: string;
  event_id: string;
  endpoint_id: string;
  /** True for `POST /v1/events/:id/redeliver`; initial deliveries are unique per (event, endpoint). */
  redelivery: Generated<boolean>;
  status: WebhookDeliveryStatus;
  /** HTTP attempts made so far. */
  attempts: Generated<number>;
  /** When the next attempt is due; null once the delivery is no longer pending. */
  next_attempt_at: Date | null;
  /** Lease of the worker currently sending; in-flight sends per endpoint are counted by it. */
  locked_until: Date | null;
  created_at: Generated<Date>;
  completed_at: Date | null;
}

/** The attempts log: one row per HTTP attempt, written in the transaction that records its outcome. */
export interface WebhookAttemptTable {
  id: string;
  seq: Generated<number>;
  delivery_id: string;
  event_id: string;
  endpoint_id: string;
  attempt: number;
  status_code: number | null;
  duration_ms: number;
  error: WebhookAttemptError | null;
  created_at: Generated<Date>;
  next_attempt_at: Date | null;
}
