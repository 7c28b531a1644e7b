import type { Db } from "../db/database.js";

export interface DeadLetterCounts {
  requests: number;
  inbound_webhooks: number;
}

/**
 * Work that failed MAX_ATTEMPTS times and is no longer retried: requests (`failed`, nothing of them
 * committed) and inbound webhooks (`failed_at`; their `last_error` says why). Reported by /metrics and
 * check:invariants for an operator to look at; they break no invariant.
 */
export async function countDeadLetters(db: Db): Promise<DeadLetterCounts> {
  const [requests, inbound] = await Promise.all([
    db.selectFrom("idempotency_keys").select((eb) => eb.fn.countAll<number>().as("count")).where("status", "=", "failed").executeTakeFirstOrThrow(),
    db.selectFrom("inbound_webhooks").select((eb) => eb.fn.countAll<number>().as("count")).where("failed_at", "is not", null).executeTakeFirstOrThrow(),
  ]);
  return { requests: Number(requests.count), inbound_webhooks: Number(inbound.count) };
}
