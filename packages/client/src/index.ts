import { HttpClient, type ClientOptions, type Query, type RequestOptions } from "./http.js";
import { pagePromise, type Cursor, type PagePromise } from "./pagination.js";
import type * as T from "./types.js";
import { verifyWebhook, type WebhookEvent, type WebhookHeaders } from "./webhooks.js";

export * from "./errors.js";
export type { ClientOptions, RequestOptions } from "./http.js";
export type { PagePromise } from "./pagination.js";
export type * from "./types.js";
export { EVENT_TYPES, type WebhookEvent, type WebhookHeaders } from "./webhooks.js";
export type { components, paths } from "./generated/openapi.js";

type R<X> = Promise<T.WithLastResponse<X>>;
const enc = encodeURIComponent;

/**
 * The loyalty-redemptions API.
 *
 *   const client = new Client({ secretKey: process.env.LOYALTY_SECRET_KEY!, baseUrl: "https://loyalty.example.com" });
 *   const redemption = await client.loyalty.redemptions.create({ account, reward }, { idempotencyKey: cart.id });
 */
export class Client {
  readonly #http: HttpClient;

  constructor(options: ClientOptions) {
    this.#http = new HttpClient(options);
  }

  #get<X extends object>(path: string, query?: Query): R<X> {
    return this.#http.request<X>("GET", path, undefined, query);
  }
  #write<X extends object>(method: "POST" | "PATCH" | "DELETE", path: string, body: unknown, options?: RequestOptions): R<X> {
    return this.#http.request<X>(method, path, body, undefined, options);
  }
  #list<X>(path: string, params: object = {}): PagePromise<X> {
    const query = { ...(params as Query) };
    return pagePromise<X>((cursor?: Cursor) => {
      if (cursor) {
        delete query.starting_after;
        delete query.ending_before;
      }
      return this.#get<T.Page<X>>(path, { ...query, ...cursor });
    }, query.ending_before !== undefined);
  }

  readonly loyalty = {
    accounts: {
      create: (params: T.AccountCreateParams = {}, options?: RequestOptions): R<T.LoyaltyAccount> => this.#write("POST", "/v1/loyalty/accounts", params, options),
      retrieve: (id: string): R<T.LoyaltyAccount> => this.#get(`/v1/loyalty/accounts/${enc(id)}`),
      list: (params: T.AccountListParams = {}): PagePromise<T.LoyaltyAccount> => this.#list("/v1/loyalty/accounts", params),
      /** Refuses further credits and redemptions; the balance stays readable. */
      close: (id: string, options?: RequestOptions): R<T.LoyaltyAccount> => this.#write("POST", `/v1/loyalty/accounts/${enc(id)}/close`, undefined, options),
    },
    transactions: {
      /** A positive `amount` credits points, a negative one deducts them. */
      create: (params: T.TransactionCreateParams, options?: RequestOptions): R<T.PointsTransaction> => this.#write("POST", "/v1/loyalty/transactions", params, options),
      list: (params: T.TransactionListParams = {}): PagePromise<T.PointsTransaction> => this.#list("/v1/loyalty/transactions", params),
    },
    rewards: {
      create: (params: T.RewardCreateParams, options?: RequestOptions): R<T.Reward> => this.#write("POST", "/v1/loyalty/rewards", params, options),
      retrieve: (id: string): R<T.Reward> => this.#get(`/v1/loyalty/rewards/${enc(id)}`),
      update: (id: string, params: T.RewardUpdateParams, options?: RequestOptions): R<T.Reward> => this.#write("PATCH", `/v1/loyalty/rewards/${enc(id)}`, params, options),
      list: (params: T.RewardListParams = {}): PagePromise<T.Reward> => this.#list("/v1/loyalty/rewards", params),
    },
    redemptions: {
      /** Debits the points and issues the reward atomically. Pass `idempotencyKey` (your cart or order id). */
      create: (params: T.RedemptionCreateParams, options?: RequestOptions): R<T.Redemption> => this.#write("POST", "/v1/loyalty/redemptions", params, options),
      retrieve: (id: string): R<T.Redemption> => this.#get(`/v1/loyalty/redemptions/${enc(id)}`),
      list: (params: T.RedemptionListParams = {}): PagePromise<T.Redemption> => this.#list("/v1/loyalty/redemptions", params),
      /** fulfillment_pending → fulfilled: a free product was shipped. */
      fulfill: (id: string, params: T.RedemptionFulfillParams, options?: RequestOptions): R<T.Redemption> =>
        this.#write("POST", `/v1/loyalty/redemptions/${enc(id)}/fulfill`, params, options),
      /** Returns the points and voids the reward; an applied discount is refused (`redemption_already_applied`). */
      reverse: (id: string, params: T.RedemptionReverseParams, options?: RequestOptions): R<T.Redemption> =>
        this.#write("POST", `/v1/loyalty/redemptions/${enc(id)}/reverse`, params, options),
      /** pending → released (an abandoned cart): returns the points. */
      release: (id: string, options?: RequestOptions): R<T.Redemption> => this.#write("POST", `/v1/loyalty/redemptions/${enc(id)}/release`, undefined, options),
    },
  };

  readonly webhookEndpoints = {
    /** The answer carries `secret` (whsec_…), shown this once (and on a replay of the same idempotency key). */
    create: (params: T.WebhookEndpointCreateParams, options?: RequestOptions): R<T.WebhookEndpointWithSecret> => this.#write("POST", "/v1/webhook-endpoints", params, options),
    retrieve: (id: string): R<T.WebhookEndpoint> => this.#get(`/v1/webhook-endpoints/${enc(id)}`),
    list: (params: T.WebhookEndpointListParams = {}): PagePromise<T.WebhookEndpoint> => this.#list("/v1/webhook-endpoints", params),
    update: (id: string, params: T.WebhookEndpointUpdateParams, options?: RequestOptions): R<T.WebhookEndpoint> => this.#write("PATCH", `/v1/webhook-endpoints/${enc(id)}`, params, options),
    delete: (id: string, options?: RequestOptions): R<T.DeletedWebhookEndpoint> => this.#write("DELETE", `/v1/webhook-endpoints/${enc(id)}`, undefined, options),
    /** A new secret; the old one keeps signing alongside it for 24 h, so receivers can switch over. */
    rotateSecret: (id: string, options?: RequestOptions): R<T.WebhookEndpointWithSecret> => this.#write("POST", `/v1/webhook-endpoints/${enc(id)}/rotate-secret`, undefined, options),
    /** Redelivers every event whose delivery to this endpoint failed or was exhausted since `since` (unix seconds). */
    recover: (id: string, params: T.WebhookEndpointRecoverParams, options?: RequestOptions): R<T.WebhookRecovery> => this.#write("POST", `/v1/webhook-endpoints/${enc(id)}/recover`, params, options),
    /** The delivery attempts to this endpoint, newest first (filter by `event`). */
    listAttempts: (id: string, params: T.WebhookAttemptListParams = {}): PagePromise<T.WebhookAttempt> => this.#list(`/v1/webhook-endpoints/${enc(id)}/attempts`, params),
  };

  readonly events = {
    retrieve: (id: string): R<T.Event> => this.#get(`/v1/events/${enc(id)}`),
    list: (params: T.EventListParams = {}): PagePromise<T.Event> => this.#list("/v1/events", params),
    /** Sends the event again to one endpoint, or to every subscribed enabled endpoint. */
    redeliver: (id: string, params: T.EventRedeliverParams = {}, options?: RequestOptions): R<T.EventRedelivery> => this.#write("POST", `/v1/events/${enc(id)}/redeliver`, params, options),
  };

  /** The sandbox payment provider (test keys only; a live key gets NotFoundError). */
  readonly testPayments = {
    /** Plays a payment; the discounts it applies settle asynchronously, shortly after this resolves. */
    create: (params: T.TestPaymentCreateParams, options?: RequestOptions): R<T.TestPayment> => this.#write("POST", "/v1/test/payments", params, options),
    /** A payment awaiting authentication expires; its redemptions are released. */
    expire: (id: string, options?: RequestOptions): R<T.TestPayment> => this.#write("POST", `/v1/test/payments/${enc(id)}/expire`, undefined, options),
  };

  readonly webhooks = {
    /**
     * Verifies a delivery from this service and returns the typed event; throws
     * WebhookVerificationError otherwise. `rawBody`: the body exactly as received.
     */
    verify: (rawBody: string | Uint8Array, headers: WebhookHeaders, secret: string | readonly string[]): WebhookEvent => verifyWebhook(rawBody, headers, secret),
  };
}

export default Client;
