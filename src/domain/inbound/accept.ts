import type { Executor } from "../../db/database.js";
import type { InboundSource } from "../../db/tables/inbound-webhook.table.js";
import { ApiError } from "../../errors.js";
import { findUnacceptableText } from "../../input-rules.js";
import { verifyWebhook } from "../../webhooks/standard-webhooks.js";
import { findInboundSecrets, storeInboundWebhook, type ReceivedWebhook } from "./inbox.js";

/**
 * Inbound secrets, remembered for a few seconds per process: one query less per webhook. A new secret is
 * found at once (a failed verification reads again); a secret past its `expires_at` may still verify
 * for up to SECRET_CACHE_MS.
 */
const SECRET_CACHE_MS = 10_000;
const secretCache = new Map<string, { secrets: string[]; until: number }>();
async function inboundSecrets(db: Executor, merchantId: string, source: InboundSource, options: { fresh?: boolean } = {}): Promise<string[]> {
  const key = `${merchantId}:${source}`;
  const hit = secretCache.get(key);
  if (!options.fresh && hit && hit.until > Date.now()) return hit.secrets;
  const secrets = await findInboundSecrets(db, merchantId, source);
  if (secretCache.size >= 10_000) secretCache.delete(secretCache.keys().next().value!);
  if (secrets.length > 0) secretCache.set(key, { secrets, until: Date.now() + SECRET_CACHE_MS });
  return secrets;
}

export interface InboundDelivery {
  merchantId: string;
  source: InboundSource;
  /** The body exactly as sent (UTF-8): a re-serialised body would not verify. */
  rawBody: string;
  headers: Record<string, string | undefined>;
}

export type AcceptResult =
  | { ok: true; id: string; duplicate: boolean; finished: boolean }
  | { ok: false; reason: string };

export type VerifyResult = { ok: true; webhook: ReceivedWebhook } | { ok: false; reason: string };

/**
 * Verifies and stores one inbound webhook: the single door every payment or warehouse event comes
 * through, whether it arrived over HTTP or from the sandbox provider. Works on the pool or inside a
 * transaction (the sandbox stores its events in the transaction that records the payment). A bad
 * signature is a value (the caller answers 401 and logs the reason); a malformed body throws 400.
 * The caller enqueues processing once the row is committed, unless it is `finished` (stored processed).
 * The HTTP route verifies with `verifyInboundWebhook` and stores through the web's inbox writer, many
 * webhooks per INSERT.
 */
export async function acceptInboundWebhook(db: Executor, delivery: InboundDelivery): Promise<AcceptResult> {
  const verified = await verifyInboundWebhook(db, delivery);
  if (!verified.ok) return verified;
  return { ok: true, ...(await storeInboundWebhook(db, verified.webhook)) };
}

/**
 * Everything `acceptInboundWebhook` checks before storing: the signature, then the envelope. Returns
 * the row to store; a bad signature is a value, a malformed body throws 400.
 */
export async function verifyInboundWebhook(db: Executor, delivery: InboundDelivery): Promise<VerifyResult> {
  const { merchantId, source, rawBody } = delivery;
  if (merchantId.length > 64) return { ok: false, reason: "unknown merchant" };
  let verified = verifyWebhook(await inboundSecrets(db, merchantId, source), rawBody, delivery.headers);
  // A secret added moments ago is not in the cache yet: on a failure, look again before refusing.
  if (!verified.ok) verified = verifyWebhook(await inboundSecrets(db, merchantId, source, { fresh: true }), rawBody, delivery.headers);
  if (!verified.ok) return verified;

  const envelope = parseEnvelope(rawBody);
  const webhookId = verified.messageId;
  if (webhookId.length > 255) throw new ApiError("parameter_invalid", "webhook-id is longer than 255 characters.", "webhook-id");
  return { ok: true, webhook: { merchantId, source, webhookId, eventType: envelope.type, livemode: envelope.livemode, payload: rawBody } };
}

/**
 * The envelope must be a JSON object with a string `type`; anything else cannot be processed and is
 * refused (400) rather than stored. `livemode` absent counts as test mode: a live redemption is only
 * ever touched by an event that says it is live.
 */
function parseEnvelope(rawBody: string): { type: string; livemode: boolean } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(rawBody);
  } catch {
    throw new ApiError("body_invalid", "The webhook body is not valid JSON.");
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new ApiError("body_invalid", "The webhook body must be a JSON object.");
  }
  // Stored as text and read back as JSON: a NUL or a lone surrogate could not be stored or processed.
  if (findUnacceptableText(parsed)) throw new ApiError("body_invalid", "The webhook body has a NUL character or ill-formed Unicode.");
  const { type, livemode } = parsed as { type?: unknown; livemode?: unknown };
  if (typeof type !== "string" || type.length === 0 || type.length > 200) {
    throw new ApiError("body_invalid", "The webhook body needs a string `type`.");
  }
  return { type, livemode: livemode === true };
}
