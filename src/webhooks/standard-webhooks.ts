import { createHmac } from "node:crypto";
import { Webhook, WebhookVerificationError } from "standardwebhooks";

/**
 * Standard Webhooks signing and verification, shared by the inbound endpoints (verify) and outbound
 * delivery (sign). The `standardwebhooks` library does the HMAC, the constant-time comparison and the
 * ±300 s timestamp tolerance; this module adds several valid secrets (rotation) on both sides.
 */

export interface SignedHeaders {
  "webhook-id": string;
  "webhook-timestamp": string;
  "webhook-signature": string;
}

/**
 * Signs `body` (exact bytes as sent) with every secret; receivers accept any one `v1,` entry. The HMAC
 * is the spec's (base64 HMAC-SHA256 of `id.timestamp.body` under the base64-decoded secret), computed
 * with node:crypto rather than the library's pure-JS SHA-256: it runs once per outbound attempt, and
 * the library's verify (the test vectors, every receiver in the tests) checks that the bytes agree.
 */
export function signWebhook(secrets: string[], messageId: string, timestamp: Date, body: string): SignedHeaders {
  if (secrets.length === 0) throw new Error("signWebhook needs at least one secret");
  const seconds = String(Math.floor(timestamp.getTime() / 1000));
  const signed = `${messageId}.${seconds}.${body}`;
  const signatures = secrets.map((secret) => `v1,${createHmac("sha256", signingKey(secret)).update(signed).digest("base64")}`);
  return { "webhook-id": messageId, "webhook-timestamp": seconds, "webhook-signature": signatures.join(" ") };
}

/** Decoded signing keys by secret (bounded; a rotation adds one). */
const keys = new Map<string, Buffer>();
function signingKey(secret: string): Buffer {
  let key = keys.get(secret);
  if (key === undefined) {
    key = Buffer.from(secret.startsWith("whsec_") ? secret.slice("whsec_".length) : secret, "base64");
    if (key.length === 0) throw new Error("a signing secret cannot be empty");
    if (keys.size >= 10_000) keys.delete(keys.keys().next().value!);
    keys.set(secret, key);
  }
  return key;
}

export type VerifyResult = { ok: true; messageId: string } | { ok: false; reason: string };

/**
 * Verifies over the raw request body (never re-serialised JSON). Passes if any secret matches any
 * signature in the header. The timestamp tolerance is checked against the current clock.
 */
export function verifyWebhook(secrets: string[], rawBody: string, headers: Record<string, string | undefined>): VerifyResult {
  const id = headers["webhook-id"];
  const timestamp = headers["webhook-timestamp"];
  const signature = headers["webhook-signature"];
  if (!id || !timestamp || !signature) return { ok: false, reason: "missing webhook-id, webhook-timestamp or webhook-signature" };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: "webhook-timestamp is not a unix time" };
  let reason = "no secret configured";
  for (const secret of secrets) {
    try {
      new Webhook(secret).verify(rawBody, { "webhook-id": id, "webhook-timestamp": timestamp, "webhook-signature": signature }, { jsonParse: false });
      return { ok: true, messageId: id };
    } catch (error) {
      if (!(error instanceof WebhookVerificationError)) throw error;
      reason = error.message;
      // A stale or future timestamp fails the same way for every secret; no need to try the others.
      if (/timestamp/i.test(reason)) break;
    }
  }
  return { ok: false, reason };
}
