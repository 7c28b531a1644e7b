import { verifyWebhook } from "../webhooks/standard-webhooks.js";
import { HttpClient, type ClientOptions, type RequestOptions } from "./http.js";
import { pagedList, type PagedList } from "./pagination.js";
import type {
  ListParams,
  LoyaltyAccount,
  PointsTransaction,
  Redemption,
  RedemptionCreateParams,
  Reward,
  RewardCreateParams,
  RewardUpdateParams,
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
