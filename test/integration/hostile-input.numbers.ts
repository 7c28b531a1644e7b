import type { Fixtures, HostileCase } from "./hostile-input.cases.js";

/** Numbers, currencies, the balance limit and inbound webhooks: the rest of the hostile-input table. */
const refused = (param: string) => ({ status: 400, code: "parameter_invalid", param });
const json = { "Content-Type": "application/json" };
const award = (f: Fixtures, amount: unknown) => ({ account: f.account, amount, reason: "r" });
/** A body whose number is written exactly as given (1e400, -0 and 2^53+1 do not survive JSON.stringify). */
const rawAward = (amount: string): Pick<HostileCase, "raw" | "headers"> => ({ raw: `{"account":"loy_x","amount":${amount},"reason":"r"}`, headers: json });

const transactionCases: HostileCase[] = [
  ...[0, 1.5, "100", true, null, [], {}, 1_000_000_000_001, -1_000_000_000_001, 9_007_199_254_740_991].map((amount) => ({
    name: `number transaction amount ${JSON.stringify(amount)}`,
    method: "POST" as const,
    path: "/v1/loyalty/transactions",
    body: (f: Fixtures) => award(f, amount),
    ...refused("amount"),
  })),
  ...["1e400", "-1e400", "-0", "9007199254740993", "1E3000", "0.0000001"].map((amount) => ({
    name: `number transaction amount written ${amount}`,
    method: "POST" as const,
    path: "/v1/loyalty/transactions",
    ...rawAward(amount),
    ...refused("amount"),
  })),
];

const REWARD = { name: "EUR 5 off", type: "discount_amount", cost: 500, value: { amount: 500, currency: "EUR" } };
const rewardCases: HostileCase[] = [
  ...[0, -1, 1.5, "500", 1e13].map((cost) => ({ name: `number reward cost ${cost}`, method: "POST" as const, path: "/v1/loyalty/rewards", body: () => ({ ...REWARD, cost }), ...refused("cost") })),
  ...[-1, 1.5, 1e10].map((inventory) => ({ name: `number reward inventory ${inventory}`, method: "POST" as const, path: "/v1/loyalty/rewards", body: () => ({ ...REWARD, inventory }), ...refused("inventory") })),
  ...[0, -5, 1e13, 2.5].map((amount) => ({ name: `number reward value.amount ${amount}`, method: "POST" as const, path: "/v1/loyalty/rewards", body: () => ({ ...REWARD, value: { amount, currency: "EUR" } }), ...refused("value.amount") })),
  ...[0, 101, 50.5].map((percent) => ({ name: `number reward percent ${percent}`, method: "POST" as const, path: "/v1/loyalty/rewards", body: () => ({ ...REWARD, type: "discount_percent", value: { percent } }), ...refused("value.percent") })),
  ...[0, 1001].map((quantity) => ({ name: `number reward product quantity ${quantity}`, method: "POST" as const, path: "/v1/loyalty/rewards", body: () => ({ ...REWARD, type: "free_product", value: { product: "p", quantity } }), ...refused("value.quantity") })),
  ...["eur", "EURO", "XXX", "ABC", "", "\u20ac", "XAU"].map((currency) => ({
    name: `currency ${JSON.stringify(currency)}`,
    method: "POST" as const,
    path: "/v1/loyalty/rewards",
    body: () => ({ ...REWARD, value: { amount: 500, currency } }),
    ...refused("value.currency"),
  })),
  { name: "number inventory update -1", method: "PATCH", path: (f) => `/v1/loyalty/rewards/${f.reward}`, body: () => ({ inventory: -1 }), ...refused("inventory") },
];

const otherNumberCases: HostileCase[] = [
  ...[0, 1001, 1.5, -1].map((quantity) => ({
    name: `number redemption quantity ${quantity}`,
    method: "POST" as const,
    path: "/v1/loyalty/redemptions",
    body: (f: Fixtures) => ({ account: f.account, reward: f.reward, quantity }),
    ...refused("quantity"),
  })),
  ...[0, -1, 1e13].map((amount) => ({
    name: `number test payment amount ${amount}`,
    method: "POST" as const,
    path: "/v1/test/payments",
    body: () => ({ amount, currency: "EUR", card: { number: "4242424242424242" } }),
    ...refused("amount"),
  })),
  { name: "currency test payment ZZZ", method: "POST", path: "/v1/test/payments", body: () => ({ amount: 100, currency: "ZZZ", card: { number: "4242424242424242" } }), ...refused("currency") },
  { name: "number test payment 21 discounts", method: "POST", path: "/v1/test/payments", body: (f) => ({ amount: 100, currency: "EUR", card: { number: "4242424242424242" }, discounts: Array.from({ length: 21 }, () => ({ redemption: f.redemption })) }), ...refused("discounts") },
  // The 9,008th award of 1e12 once answered 500 (the accounts CHECK); now refused before Postgres sees it.
  ...[1_000_000_000_000, 500_000_000_001].map((amount) => ({
    name: `balance limit: award ${amount} to a balance near the limit`,
    method: "POST" as const,
    path: "/v1/loyalty/transactions",
    body: (f: Fixtures) => ({ account: f.rich, amount, reason: "one too many" }),
    status: 422,
    code: "balance_limit_exceeded",
    param: "amount",
  })),
  {
    name: "balance limit: award past the lifetime limit with a small balance",
    method: "POST",
    path: "/v1/loyalty/transactions",
    body: (f) => ({ account: f.veteran, amount: 1_000_000_000_000, reason: "one too many" }),
    status: 422,
    code: "balance_limit_exceeded",
    param: "amount",
  },
];

// ── Inbound webhooks: unauthenticated, so every authentication failure is the same 401 ─────────────────
const unauthorized = { status: 401, code: "signature_invalid" };
const EVENT = '{"id":"evt_1","type":"payment.completed","created":1,"livemode":false,"data":{"object":{}}}';
const inboundCases: HostileCase[] = [
  ...(
    [
      ["NUL merchant", "/webhooks/mer_%00/payments"],
      ["NUL merchant (warehouse)", "/webhooks/mer_%00/warehouse"],
      ["merchant that is NUL", "/webhooks/%00/payments"],
      ["invalid UTF-8 merchant", "/webhooks/mer_%FF/payments"],
      ["encoded surrogate merchant", "/webhooks/mer_%ED%A0%80/payments"],
      ["merchant with punctuation", "/webhooks/mer_a'b/payments"],
      ["merchant too long", `/webhooks/mer_${"A".repeat(41)}/payments`],
      ["merchant of another kind", `/webhooks/loy_${"A".repeat(24)}/payments`],
      ["unknown merchant", `/webhooks/mer_${"A".repeat(24)}/payments`],
      ["merchant with an encoded slash", "/webhooks/mer_a%2Fb/payments"],
    ] as const
  ).map(([kind, path]) => ({ name: `inbound ${kind}`, method: "POST" as const, path, raw: EVENT, headers: json, noKey: true, ...unauthorized })),
  { name: "inbound no signature headers", method: "POST", path: (f) => `/webhooks/${f.merchant}/payments`, raw: EVENT, headers: json, noKey: true, ...unauthorized },
  {
    name: "inbound garbage signature",
    method: "POST",
    path: (f) => `/webhooks/${f.merchant}/payments`,
    raw: EVENT,
    headers: { ...json, "webhook-id": "msg_1", "webhook-timestamp": String(Math.floor(Date.now() / 1000)), "webhook-signature": "v1,AAAA" },
    noKey: true,
    ...unauthorized,
  },
  {
    name: "inbound NUL in an unsigned body",
    method: "POST",
    path: (f) => `/webhooks/${f.merchant}/warehouse`,
    raw: '{"type":"a\\u0000b"}',
    headers: { ...json, "webhook-id": "msg_1", "webhook-timestamp": "1", "webhook-signature": "v1,AAAA" },
    noKey: true,
    ...unauthorized,
  },
  { name: "inbound invalid UTF-8 body", method: "POST", path: (f) => `/webhooks/${f.merchant}/payments`, raw: Buffer.from([0x7b, 0xff, 0x7d]), headers: json, noKey: true, status: 400, code: "body_invalid" },
  { name: "inbound signed body with NUL in type", method: "POST", path: (f) => `/webhooks/${f.merchant}/payments`, raw: '{"id":"e","type":"payment.\\u0000","livemode":false}', sign: true, noKey: true, status: 400, code: "body_invalid" },
  { name: "inbound signed body with a lone surrogate", method: "POST", path: (f) => `/webhooks/${f.merchant}/payments`, raw: '{"type":"payment.completed","data":{"object":{"x":"\\ud800"}}}', sign: true, noKey: true, status: 400, code: "body_invalid" },
  { name: "inbound signed body with a NUL key", method: "POST", path: (f) => `/webhooks/${f.merchant}/payments`, raw: '{"type":"payment.completed","\\u0000":1}', sign: true, noKey: true, status: 400, code: "body_invalid" },
  { name: "inbound signed body that is not JSON", method: "POST", path: (f) => `/webhooks/${f.merchant}/payments`, raw: "not json", sign: true, noKey: true, status: 400, code: "body_invalid" },
  { name: "inbound GET", method: "GET", path: "/webhooks/mer_%00/payments", noKey: true, status: 404, code: "resource_missing" },
];

export const HOSTILE_CASES_PART_TWO: HostileCase[] = [...transactionCases, ...rewardCases, ...otherNumberCases, ...inboundCases];
