import { Webhook } from "standardwebhooks";
import { WebhookVerificationError } from "./errors.js";
import type { Event, EventType } from "./types.js";

/** Every event type the service sends (a test checks it against the OpenAPI document). */
export const EVENT_TYPES = [
  "loyalty.redemption.created",
  "loyalty.redemption.applied",
  "loyalty.redemption.released",
  "loyalty.redemption.reversed",
  "loyalty.redemption.fulfilled",
  "loyalty.redemption.settlement_conflict",
] as const satisfies readonly EventType[];

/** One member per event type, so `switch (event.type)` narrows. */
export type WebhookEvent = { [T in EventType]: Omit<Event, "type"> & { type: T } }[EventType];

/** A Node `IncomingHttpHeaders`, a plain object, or a fetch `Headers`. */
export type WebhookHeaders = Record<string, string | string[] | undefined> | { get(name: string): string | null };

const SIGNATURE_HEADERS = ["webhook-id", "webhook-timestamp", "webhook-signature"] as const;

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as { get?: unknown }).get === "function") return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  const record = headers as Record<string, string | string[] | undefined>;
  const key = Object.keys(record).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : record[key];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Verifies a delivery (Standard Webhooks: HMAC-SHA256 over id, timestamp and the raw body; the
 * timestamp must be within 5 minutes) and returns the parsed event. `rawBody` must be the bytes as
 * received, before any JSON parsing. During a secret rotation pass both secrets.
 */
export function verifyWebhook(rawBody: string | Uint8Array, headers: WebhookHeaders, secret: string | readonly string[]): WebhookEvent {
  const body = typeof rawBody === "string" ? rawBody : new TextDecoder("utf-8", { fatal: false }).decode(rawBody);
  const wanted: Record<string, string> = {};
  for (const name of SIGNATURE_HEADERS) {
    const value = header(headers, name);
    if (!value) throw new WebhookVerificationError(`Missing ${name} header`);
    wanted[name] = value;
  }
  const secrets = typeof secret === "string" ? [secret] : [...secret];
  if (secrets.length === 0) throw new WebhookVerificationError("No secret to verify with");
  let lastReason = "no matching signature";
  for (const candidate of secrets) {
    let webhook: Webhook;
    try {
      webhook = new Webhook(candidate);
    } catch (error) {
      throw new WebhookVerificationError(`Invalid webhook secret: ${(error as Error).message}`);
    }
    try {
      const payload = webhook.verify(body, wanted) as unknown;
      if (payload === null || typeof payload !== "object" || typeof (payload as { type?: unknown }).type !== "string") {
        throw new WebhookVerificationError("The verified body is not an event");
      }
      return payload as WebhookEvent;
    } catch (error) {
      if (error instanceof WebhookVerificationError) throw error;
      lastReason = (error as Error).message;
    }
  }
  throw new WebhookVerificationError(`Webhook signature verification failed: ${lastReason}`);
}
