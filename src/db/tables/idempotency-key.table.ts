import type { Generated, JSONColumnType } from "kysely";

/**
 * One row per (merchant, mode, Idempotency-Key). For requests executed by a worker it is also the
 * durable request record: `pending` with its `operation` + `params` until the job's transaction stores
 * the response and flips it to `completed` in the same commit as the effect.
 */
export interface IdempotencyKeyTable {
  id: string;
  merchant_id: string;
  livemode: boolean;
  key: string;
  /** False when the client sent no Idempotency-Key (we generated one): such rows are never replayed. */
  client_key: boolean;
  method: string;
  path: string;
  request_hash: string;
  operation: string | null;
  params: JSONColumnType<Record<string, unknown>> | null;
  /** `failed`: dead-lettered after MAX_ATTEMPTS failed runs; nothing of it was committed. */
  status: "pending" | "completed" | "failed";
  response_status: number | null;
  response_body: string | null;
  request_id: string;
  created_at: Generated<Date>;
  completed_at: Date | null;
  /**
   * Postgres's time after which the request may no longer take effect (a trigger refuses the COMMIT);
   * null for rows completed in the transaction that stored them.
   */
  deadline_at: Date | null;
  attempts: Generated<number>;
  last_error: string | null;
}
