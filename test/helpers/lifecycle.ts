import { randomUUID } from "node:crypto";
import { expect } from "vitest";
import { signWebhook } from "../../src/webhooks/standard-webhooks.js";
import { createAccount, createReward, REWARD_BODIES, SHIPPING } from "./factories.js";
import type { ApiResponse, Harness } from "./harness.js";

/** Everything a lifecycle edge may change, read straight from the tables. */
export async function snapshot(h: Harness, redemptionId: string) {
  const db = h.deps.db;
  const redemption = await db.selectFrom("redemptions").selectAll().where("id", "=", redemptionId).executeTakeFirstOrThrow();
  const account = await db.selectFrom("loyalty_accounts").select("balance").where("id", "=", redemption.account_id).executeTakeFirstOrThrow();
  const reward = await db.selectFrom("rewards").select("inventory").where("id", "=", redemption.reward_id).executeTakeFirstOrThrow();
  const ledger = await db
    .selectFrom("points_transactions")
    .select(["type", "amount"])
    .where("redemption_id", "=", redemptionId)
    .orderBy("seq")
    .execute();
  const events = await db.selectFrom("events").select(["type", "version"]).where("redemption_id", "=", redemptionId).orderBy("seq").execute();
  return {
    status: redemption.status,
    version: redemption.version,
    balance: account.balance,
    inventory: reward.inventory,
    ledger: ledger.map((row) => `${row.type}:${row.amount}`),
    events: events.map((row) => `${row.type.replace("loyalty.redemption.", "")}@${row.version}`),
    payment: redemption.payment_id,
    row: redemption,
  };
}

export type RewardKind = keyof typeof REWARD_BODIES;

/** An account with `extra` points left after redeeming one unit of a fresh reward of `kind`. */
export async function redeem(h: Harness, kind: RewardKind, options: { inventory?: number | null; extra?: number; rewardExtra?: Record<string, unknown> } = {}) {
  const cost = REWARD_BODIES[kind].cost;
  const account = await createAccount(h, cost + (options.extra ?? 100));
  const reward = await createReward(h, kind, { inventory: options.inventory === undefined ? 5 : options.inventory, ...options.rewardExtra });
  const body: Record<string, unknown> = { account: account.id, reward: reward.id };
  if (kind === "free_product") body.shipping = SHIPPING;
  const res = await h.api("POST", "/v1/loyalty/redemptions", { body, idempotencyKey: randomUUID() });
  expect(res.status).toBe(201);
  return res.body as { id: string; status: string; discount: { code: string } | null; points: number };
}

export const lifecycleCall = (h: Harness, id: string, action: "fulfill" | "reverse" | "release", body?: unknown, key?: string) =>
  h.api("POST", `/v1/loyalty/redemptions/${id}/${action}`, { body: body ?? {}, idempotencyKey: key ?? randomUUID() });

/** Posts a signed inbound webhook (exact bytes) as the merchant's payment provider or warehouse. */
export async function sendWebhook(
  h: Harness,
  source: "payments" | "warehouse",
  event: { type: string; data: { object: Record<string, unknown> } } | string,
  options: { webhookId?: string; secret?: string; merchant?: string; at?: Date } = {},
): Promise<ApiResponse & { webhookId: string }> {
  const webhookId = options.webhookId ?? `msg_${randomUUID()}`;
  const body =
    typeof event === "string"
      ? event
      : JSON.stringify({ id: `evt_${randomUUID()}`, created: Math.floor(Date.now() / 1000), livemode: false, ...event });
  const secret = options.secret ?? h.merchant.inbound_secrets[source];
  const headers = signWebhook([secret], webhookId, options.at ?? new Date(), body);
  const res = await h.api("POST", `/webhooks/${options.merchant ?? h.merchant.merchant}/${source}`, {
    key: null,
    rawBody: body,
    headers: { ...headers },
  });
  return { ...res, webhookId };
}

/** Waits (polling Postgres, bounded) until the inbox row of `webhookId` was processed; returns it. */
export async function processed(h: Harness, webhookId: string) {
  for (let i = 0; i < 300; i++) {
    const row = await h.deps.db.selectFrom("inbound_webhooks").selectAll().where("webhook_id", "=", webhookId).executeTakeFirst();
    if (row?.processed_at) return row;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`inbound webhook ${webhookId} was not processed`);
}

/** Sends a payment event and waits for its processing. */
export async function paymentEvent(h: Harness, type: string, object: Record<string, unknown>, webhookId?: string) {
  const res = await sendWebhook(h, "payments", { type, data: { object } }, webhookId ? { webhookId } : {});
  expect(res.status).toBe(200);
  return processed(h, res.webhookId);
}

export async function warehouseEvent(h: Harness, type: string, object: Record<string, unknown>) {
  const res = await sendWebhook(h, "warehouse", { type, data: { object } });
  expect(res.status).toBe(200);
  return processed(h, res.webhookId);
}

export async function countRows(h: Harness, table: "inbound_webhooks" | "events" | "points_transactions") {
  const row = await h.deps.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
  return Number(row.n);
}
