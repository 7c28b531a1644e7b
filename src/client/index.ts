import { verifyWebhook } from "../webhooks/standard-webhooks.js";
import { HttpClient, type ClientOptions, type RequestOptions } from "./http.js";
import { pagedList, type PagedList } from "./pagination.js";
import type {
  DeletedWebhookEndpoint,
  Event,
  EventRedeliverParams,
  EventRedelivery,
  ListParams,
  LoyaltyAccount,
  PointsTransaction,
  Redemption,
  RedemptionCreateParams,
  RedemptionFulfillParams,
  RedemptionReverseParams,
  Reward,
  RewardCreateParams,
  RewardUpdateParams,
  TestPayment,
  TestPaymentCreateParams,
  WebhookAttempt,
  WebhookEndpoint,
  WebhookEndpointCreateParams,
  WebhookEndpointUpdateParams,
  WebhookEndpointWithSecret,
} from "./types.js";

export * from "./errors.js";
export type { ClientOptions, RequestOptions } from "./http.js";
export type { Page, PagedList } from "./pagination.js";
export type * from "./types.js";

const enc = encodeURIComponent;

/**
 * Typed client for the loyalty-redemptions API.
 *
 *   const client = new Client({ secretKey: process.env.LOYALTY_SECRET_KEY!, baseUrl: "http://localhost:3000" });
 *   const redemption = await client.loyalty.redemptions.create({ account, reward }, { idempotencyKey: "cart-9f31" });
 */
export class Client {
  private readonly http: HttpClient;

  constructor(options: ClientOptions) {
    this.http = new HttpClient(options);
  }

  private list<T>(path: string, params: object = {}): PagedList<T> {
    const query = { ...(params as Record<string, string | number | boolean | undefined>) };
    return pagedList((startingAfter) => this.http.request("GET", path, undefined, { ...query, ...(startingAfter ? { starting_after: startingAfter } : {}) }), undefined);
  }

  readonly loyalty = {
    accounts: {
      create: (params: { customer?: string; metadata?: Record<string, string> } = {}, options?: RequestOptions) =>
        this.http.request<LoyaltyAccount>("POST", "/v1/loyalty/accounts", params, undefined, options),
      retrieve: (id: string) => this.http.request<LoyaltyAccount>("GET", `/v1/loyalty/accounts/${enc(id)}`),
      list: (params: ListParams & { customer?: string } = {}) => this.list<LoyaltyAccount>("/v1/loyalty/accounts", params),
      close: (id: string, options?: RequestOptions) =>
        this.http.request<LoyaltyAccount>("POST", `/v1/loyalty/accounts/${enc(id)}/close`, undefined, undefined, options),
    },
    transactions: {
      create: (params: { account: string; amount: number; reason: string; metadata?: Record<string, string> }, options?: RequestOptions) =>
        this.http.request<PointsTransaction>("POST", "/v1/loyalty/transactions", params, undefined, options),
      list: (params: ListParams & { account?: string; type?: PointsTransaction["type"] } = {}) =>
        this.list<PointsTransaction>("/v1/loyalty/transactions", params),
    },
    rewards: {
      create: (params: RewardCreateParams, options?: RequestOptions) => this.http.request<Reward>("POST", "/v1/loyalty/rewards", params, undefined, options),
      retrieve: (id: string) => this.http.request<Reward>("GET", `/v1/loyalty/rewards/${enc(id)}`),
      list: (params: ListParams & { active?: boolean } = {}) => this.list<Reward>("/v1/loyalty/rewards", params),
      update: (id: string, params: RewardUpdateParams, options?: RequestOptions) =>
        this.http.request<Reward>("PATCH", `/v1/loyalty/rewards/${enc(id)}`, params, undefined, options),
    },
    redemptions: {
      create: (params: RedemptionCreateParams, options?: RequestOptions) =>
        this.http.request<Redemption>("POST", "/v1/loyalty/redemptions", params, undefined, options),
      retrieve: (id: string) => this.http.request<Redemption>("GET", `/v1/loyalty/redemptions/${enc(id)}`),
      list: (params: ListParams & { account?: string; status?: Redemption["status"]; reward?: string; code?: string } = {}) =>
        this.list<Redemption>("/v1/loyalty/redemptions", params),
      /** fulfillment_pending → fulfilled (a free product was shipped). */
      fulfill: (id: string, params: RedemptionFulfillParams, options?: RequestOptions) =>
        this.http.request<Redemption>("POST", `/v1/loyalty/redemptions/${enc(id)}/fulfill`, params, undefined, options),
      /** Returns the points and voids the artifact; an applied discount is refused (`redemption_already_applied`). */
      reverse: (id: string, params: RedemptionReverseParams, options?: RequestOptions) =>
        this.http.request<Redemption>("POST", `/v1/loyalty/redemptions/${enc(id)}/reverse`, params, undefined, options),
      /** pending → released (e.g. an abandoned cart); returns the points. */
      release: (id: string, options?: RequestOptions) =>
        this.http.request<Redemption>("POST", `/v1/loyalty/redemptions/${enc(id)}/release`, {}, undefined, options),
    },
  };

  readonly webhookEndpoints = {
    /** The answer carries `secret`, shown this once (and on a retry with the same idempotency key). */
    create: (params: WebhookEndpointCreateParams, options?: RequestOptions) =>
      this.http.request<WebhookEndpointWithSecret>("POST", "/v1/webhook-endpoints", params, undefined, options),
    retrieve: (id: string) => this.http.request<WebhookEndpoint>("GET", `/v1/webhook-endpoints/${enc(id)}`),
    list: (params: ListParams = {}) => this.list<WebhookEndpoint>("/v1/webhook-endpoints", params),
    update: (id: string, params: WebhookEndpointUpdateParams, options?: RequestOptions) =>
      this.http.request<WebhookEndpoint>("PATCH", `/v1/webhook-endpoints/${enc(id)}`, params, undefined, options),
    del: (id: string, options?: RequestOptions) =>
      this.http.request<DeletedWebhookEndpoint>("DELETE", `/v1/webhook-endpoints/${enc(id)}`, undefined, undefined, options),
    /** The old secret keeps signing alongside the new one for 24 h, so receivers can switch over. */
    rotateSecret: (id: string, options?: RequestOptions) =>
      this.http.request<WebhookEndpointWithSecret>("POST", `/v1/webhook-endpoints/${enc(id)}/rotate-secret`, undefined, undefined, options),
    attempts: (id: string, params: ListParams & { event?: string } = {}) => this.list<WebhookAttempt>(`/v1/webhook-endpoints/${enc(id)}/attempts`, params),
  };

  readonly events = {
    list: (params: ListParams & { type?: Event["type"] } = {}) => this.list<Event>("/v1/events", params),
    retrieve: (id: string) => this.http.request<Event>("GET", `/v1/events/${enc(id)}`),
    /** Sends the event again to one endpoint, or to every subscribed enabled endpoint. */
    redeliver: (id: string, params: EventRedeliverParams = {}, options?: RequestOptions) =>
      this.http.request<EventRedelivery>("POST", `/v1/events/${enc(id)}/redeliver`, params, undefined, options),
  };

  /** The sandbox (test keys only; live keys get 404). */
  readonly testHelpers = {
    payments: {
      /** Plays the payment provider; the discounted redemptions settle shortly after this resolves. */
      create: (params: TestPaymentCreateParams, options?: RequestOptions) =>
        this.http.request<TestPayment>("POST", "/v1/test/payments", params, undefined, options),
      /** A payment that requires authentication expires; its redemptions are released. */
      expire: (id: string, options?: RequestOptions) =>
        this.http.request<TestPayment>("POST", `/v1/test/payments/${enc(id)}/expire`, undefined, undefined, options),
    },
  };

  /** Verifies a webhook this service sent you: raw body bytes as received, the request's headers, your endpoint secret. */
  readonly webhooks = {
    verify: (rawBody: string | Buffer, headers: Record<string, string | string[] | undefined> | Headers, secret: string | string[]) => {
      const get = (name: string) => {
        if (headers instanceof Headers) return headers.get(name) ?? undefined;
        const value = headers[name] ?? headers[name.toLowerCase()];
        return Array.isArray(value) ? value[0] : value;
      };
      const result = verifyWebhook(Array.isArray(secret) ? secret : [secret], rawBody.toString(), {
        "webhook-id": get("webhook-id"),
        "webhook-timestamp": get("webhook-timestamp"),
        "webhook-signature": get("webhook-signature"),
      });
      if (!result.ok) throw new Error(`Webhook signature verification failed: ${result.reason}`);
      return JSON.parse(rawBody.toString()) as { id: string; type: string; data: { object: Redemption }; livemode: boolean; created: number };
    },
  };
}
