import type { Trx } from "../../db/database.js";
import { randomString } from "../../ids.js";
import { signWebhook } from "../../webhooks/standard-webhooks.js";
import { acceptInboundWebhook } from "../inbound/accept.js";
import { findInboundSecrets } from "../inbound/inbox.js";
import { unixSeconds } from "../pagination.js";
import type { SerializedTestPayment } from "./test-payments.js";

export type ProviderEventType = "payment.created" | "payment.completed" | "payment.failed" | "payment.requires_authentication" | "payment.expired";

/**
 * Plays the payment provider: signs each event with the merchant's current `payments` inbound secret
 * and hands the exact bytes to the same verification and inbox code `POST /webhooks/:merchant/payments`
 * uses. Runs in the caller's transaction, so the payment and its events commit together (a crash can
 * not leave a payment whose events were never sent); the returned inbox ids (those still to process)
 * are enqueued after commit, and the inbox sweeper processes them if that enqueue is lost.
 */
export async function sendProviderEvents(trx: Trx, merchantId: string, payment: SerializedTestPayment, types: ProviderEventType[]): Promise<string[]> {
  // Newest first: with several secrets valid during a rotation, the provider signs with the current one.
  const [secret] = await findInboundSecrets(trx, merchantId, "payments");
  if (!secret) throw new Error(`merchant ${merchantId} has no payments inbound secret`);
  const inboxIds: string[] = [];
  for (const type of types) {
    const id = `msg_${randomString(24)}`;
    const now = new Date();
    const body = JSON.stringify({ id, type, created: unixSeconds(now), livemode: false, data: { object: payment } });
    const accepted = await acceptInboundWebhook(trx, {
      merchantId,
      source: "payments",
      rawBody: body,
      headers: { ...signWebhook([secret], id, now, body) },
    });
    // Our own signature with a secret read a moment ago: failing here is a bug, not a caller error.
    if (!accepted.ok) throw new Error(`the sandbox provider's event was refused: ${accepted.reason}`);
    // An event that cannot touch a redemption was stored processed: it needs no job.
    if (!accepted.finished) inboxIds.push(accepted.id);
  }
  return inboxIds;
}
