/**
 * Hostile inputs and the refusal each must get (docs/api.md §1.2, §1.3). Run by hostile-input.test.ts,
 * which also checks that none of them writes anything. Built from small tables, one per kind of input.
 */
export interface Fixtures {
  account: string;
  /** Balance and lifetime points just under the limit (MAX_POINTS − 5e11). */
  rich: string;
  /** Lifetime points just under the limit, balance small. */
  veteran: string;
  reward: string;
  redemption: string;
  endpoint: string;
  event: string;
  merchant: string;
}

export interface HostileCase {
  name: string;
  method: "GET" | "POST" | "PATCH" | "DELETE";
  path: string | ((f: Fixtures) => string);
  /** Sent as JSON.stringify(body): lone surrogates and NUL travel as \u escapes. */
  body?: (f: Fixtures) => unknown;
  /** Sent exactly as these bytes. */
  raw?: Buffer | string;
  headers?: Record<string, string>;
  /** No API key (inbound webhooks, authentication cases). */
  noKey?: boolean;
  /** Sign `raw` with the merchant's payments secret (inbound webhooks). */
  sign?: boolean;
  status: number;
  code: string;
  param?: string;
}

const NUL = "a\u0000b";
const LONE = "a\ud800b";
const BAD_TEXT: [string, string][] = [
  ["NUL", NUL],
  ["lone surrogate", LONE],
];
const refused = (param: string) => ({ status: 400, code: "parameter_invalid", param });
const missing = { status: 404, code: "resource_missing" };
const bytes = (...parts: (string | number[])[]) => Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p) : Buffer.from(p))));
const base62 = (n: number) => "A".repeat(n);

// ── Body strings: every free-text field of every write, with a NUL and with a lone surrogate ──────────
const ITEM = { name: "Tote", type: "free_product", cost: 100, value: { product: "tote" } };
const SHIPPING = { name: "Mira", line1: "Storgata 12", city: "Oslo", postal_code: "0155", country: "NO" };
const bodyFields: { route: string; method: HostileCase["method"]; path: HostileCase["path"]; param: string; body: (f: Fixtures, v: string) => unknown }[] = [
  { route: "accounts", method: "POST", path: "/v1/loyalty/accounts", param: "customer", body: (_, v) => ({ customer: v }) },
  { route: "accounts", method: "POST", path: "/v1/loyalty/accounts", param: "metadata.k", body: (_, v) => ({ metadata: { k: v } }) },
  { route: "accounts", method: "POST", path: "/v1/loyalty/accounts", param: "metadata.x", body: (_, v) => ({ metadata: { ok: "1", x: `${v}${v}` } }) },
  { route: "transactions", method: "POST", path: "/v1/loyalty/transactions", param: "reason", body: (f, v) => ({ account: f.account, amount: 10, reason: v }) },
  { route: "transactions", method: "POST", path: "/v1/loyalty/transactions", param: "account", body: (_, v) => ({ account: `loy_${v}`, amount: 10, reason: "r" }) },
  { route: "transactions", method: "POST", path: "/v1/loyalty/transactions", param: "metadata.k", body: (f, v) => ({ account: f.account, amount: 10, reason: "r", metadata: { k: v } }) },
  { route: "rewards", method: "POST", path: "/v1/loyalty/rewards", param: "name", body: (_, v) => ({ ...ITEM, name: v }) },
  { route: "rewards", method: "POST", path: "/v1/loyalty/rewards", param: "value.product", body: (_, v) => ({ ...ITEM, value: { product: v } }) },
  { route: "rewards", method: "POST", path: "/v1/loyalty/rewards", param: "value.currency", body: (_, v) => ({ ...ITEM, type: "store_credit", value: { amount: 5, currency: `E${v}` } }) },
  { route: "rewards", method: "POST", path: "/v1/loyalty/rewards", param: "type", body: (_, v) => ({ ...ITEM, type: v }) },
  { route: "rewards", method: "POST", path: "/v1/loyalty/rewards", param: "metadata.k", body: (_, v) => ({ ...ITEM, metadata: { k: v } }) },
  { route: "reward update", method: "PATCH", path: (f) => `/v1/loyalty/rewards/${f.reward}`, param: "name", body: (_, v) => ({ name: v }) },
  { route: "reward update", method: "PATCH", path: (f) => `/v1/loyalty/rewards/${f.reward}`, param: "metadata.k", body: (_, v) => ({ metadata: { k: v } }) },
  { route: "redemptions", method: "POST", path: "/v1/loyalty/redemptions", param: "account", body: (f, v) => ({ account: `${f.account}${v}`, reward: f.reward }) },
  { route: "redemptions", method: "POST", path: "/v1/loyalty/redemptions", param: "reward", body: (f, v) => ({ account: f.account, reward: `rwd_${v}` }) },
  { route: "redemptions", method: "POST", path: "/v1/loyalty/redemptions", param: "shipping.name", body: (f, v) => ({ account: f.account, reward: f.reward, shipping: { ...SHIPPING, name: v } }) },
  { route: "redemptions", method: "POST", path: "/v1/loyalty/redemptions", param: "shipping.city", body: (f, v) => ({ account: f.account, reward: f.reward, shipping: { ...SHIPPING, city: v } }) },
  { route: "redemptions", method: "POST", path: "/v1/loyalty/redemptions", param: "metadata.k", body: (f, v) => ({ account: f.account, reward: f.reward, metadata: { k: v } }) },
  { route: "fulfill", method: "POST", path: (f) => `/v1/loyalty/redemptions/${f.redemption}/fulfill`, param: "tracking", body: (_, v) => ({ tracking: v }) },
  { route: "fulfill", method: "POST", path: (f) => `/v1/loyalty/redemptions/${f.redemption}/fulfill`, param: "carrier", body: (_, v) => ({ tracking: "T1", carrier: v }) },
  { route: "reverse", method: "POST", path: (f) => `/v1/loyalty/redemptions/${f.redemption}/reverse`, param: "reason", body: (_, v) => ({ reason: v }) },
  { route: "endpoints", method: "POST", path: "/v1/webhook-endpoints", param: "description", body: (_, v) => ({ url: "http://127.0.0.1:9/", enabled_events: ["*"], description: v }) },
  { route: "endpoints", method: "POST", path: "/v1/webhook-endpoints", param: "url", body: (_, v) => ({ url: `http://127.0.0.1:9/${v}`, enabled_events: ["*"] }) },
  { route: "endpoints", method: "POST", path: "/v1/webhook-endpoints", param: "enabled_events.0", body: (_, v) => ({ url: "http://127.0.0.1:9/", enabled_events: [v] }) },
  { route: "endpoints", method: "POST", path: "/v1/webhook-endpoints", param: "metadata.k", body: (_, v) => ({ url: "http://127.0.0.1:9/", enabled_events: ["*"], metadata: { k: v } }) },
  { route: "endpoint update", method: "PATCH", path: (f) => `/v1/webhook-endpoints/${f.endpoint}`, param: "description", body: (_, v) => ({ description: v }) },
  { route: "endpoint update", method: "PATCH", path: (f) => `/v1/webhook-endpoints/${f.endpoint}`, param: "metadata.k", body: (_, v) => ({ metadata: { k: v } }) },
  { route: "test payments", method: "POST", path: "/v1/test/payments", param: "customer", body: (_, v) => ({ amount: 100, currency: "EUR", card: { number: "4242424242424242" }, customer: v }) },
  { route: "test payments", method: "POST", path: "/v1/test/payments", param: "card.number", body: (_, v) => ({ amount: 100, currency: "EUR", card: { number: v } }) },
  { route: "test payments", method: "POST", path: "/v1/test/payments", param: "discounts.0.redemption", body: (f, v) => ({ amount: 100, currency: "EUR", card: { number: "4242424242424242" }, discounts: [{ redemption: `${f.redemption}${v}` }] }) },
  { route: "redeliver", method: "POST", path: (f) => `/v1/events/${f.event}/redeliver`, param: "endpoint", body: (_, v) => ({ endpoint: `we_${v}` }) },
];
const bodyCases: HostileCase[] = bodyFields.flatMap(({ route, method, path, param, body }) =>
  BAD_TEXT.map(([kind, value]) => ({ name: `body ${route} ${param}: ${kind}`, method, path, body: (f: Fixtures) => body(f, value), ...refused(param) })),
);

// Keys, other surrogate shapes, unknown keys: the rule covers every string and key in the body.
const keyCases: HostileCase[] = [
  { name: "body metadata key with NUL", method: "POST", path: "/v1/loyalty/accounts", body: () => ({ metadata: { [NUL]: "v" } }), ...refused(`metadata.${NUL}`) },
  { name: "body metadata key with lone surrogate", method: "POST", path: "/v1/loyalty/accounts", body: () => ({ metadata: { [LONE]: "v" } }), ...refused(`metadata.${LONE}`) },
  { name: "body top-level key that is NUL", method: "POST", path: "/v1/loyalty/accounts", body: () => ({ "\u0000": 1 }), ...refused("\u0000") },
  { name: "body lone low surrogate", method: "POST", path: "/v1/loyalty/accounts", body: () => ({ customer: "\udc00" }), ...refused("customer") },
  { name: "body reversed surrogate pair", method: "POST", path: "/v1/loyalty/accounts", body: () => ({ customer: "\udc00\ud800" }), ...refused("customer") },
  { name: "body high surrogate at the end", method: "POST", path: "/v1/loyalty/accounts", body: () => ({ customer: "cus_\ud83d" }), ...refused("customer") },
  { name: "body NUL alone", method: "POST", path: "/v1/loyalty/accounts", body: () => ({ customer: "\u0000" }), ...refused("customer") },
  { name: "body NUL in a nested unknown key", method: "POST", path: "/v1/loyalty/accounts", body: () => ({ deep: { deeper: ["x", { y: NUL }] } }), ...refused("deep.deeper.1.y") },
  { name: "body unknown parameter", method: "POST", path: "/v1/loyalty/accounts", body: () => ({ customer: "c", evil: true }), ...refused("evil") },
  { name: "body metadata value too long", method: "POST", path: "/v1/loyalty/accounts", body: () => ({ metadata: { k: "x".repeat(501) } }), ...refused("metadata.k") },
  { name: "body metadata key too long", method: "POST", path: "/v1/loyalty/accounts", body: () => ({ metadata: { ["k".repeat(41)]: "v" } }), ...refused(`metadata.${"k".repeat(41)}`) },
  { name: "body metadata value not a string", method: "POST", path: "/v1/loyalty/accounts", body: () => ({ metadata: { k: 1 } }), ...refused("metadata.k") },
  { name: "body metadata with 51 keys", method: "POST", path: "/v1/loyalty/accounts", body: () => ({ metadata: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, "v"])) }), ...refused("metadata") },
  { name: "body customer too long", method: "POST", path: "/v1/loyalty/accounts", body: () => ({ customer: "c".repeat(256) }), ...refused("customer") },
];

// ── Body-less actions: `{}` or nothing, any parameter is unknown ─────────────────────────────────────
const emptyBodyCases: HostileCase[] = [
  { name: "release with an unknown parameter", method: "POST", path: (f) => `/v1/loyalty/redemptions/${f.redemption}/release`, body: () => ({ evil: "x" }), ...refused("evil") },
  { name: "close with an unknown parameter", method: "POST", path: (f) => `/v1/loyalty/accounts/${f.account}/close`, body: () => ({ force: true }), ...refused("force") },
  { name: "rotate secret with an unknown parameter", method: "POST", path: (f) => `/v1/webhook-endpoints/${f.endpoint}/rotate-secret`, body: () => ({ expire_old: 0 }), ...refused("expire_old") },
  { name: "expire test payment with an unknown parameter", method: "POST", path: `/v1/test/payments/pay_${base62(24)}/expire`, body: () => ({ now: true }), ...refused("now") },
  { name: "redeliver with an unknown parameter", method: "POST", path: (f) => `/v1/events/${f.event}/redeliver`, body: () => ({ all: true }), ...refused("all") },
  { name: "close with a NUL key", method: "POST", path: (f) => `/v1/loyalty/accounts/${f.account}/close`, body: () => ({ [NUL]: 1 }), ...refused(NUL) },
];

// ── Query strings ─────────────────────────────────────────────────────────────────────────────────
const LISTS: [string, (f: Fixtures) => string, string][] = [
  ["accounts", () => "/v1/loyalty/accounts", "loy"],
  ["transactions", () => "/v1/loyalty/transactions", "ptx"],
  ["rewards", () => "/v1/loyalty/rewards", "rwd"],
  ["redemptions", () => "/v1/loyalty/redemptions", "rdm"],
  ["endpoints", () => "/v1/webhook-endpoints", "we"],
  ["events", () => "/v1/events", "evt"],
  ["attempts", (f) => `/v1/webhook-endpoints/${f.endpoint}/attempts`, "whatt"],
];
const BAD_QUERY_VALUES: [string, string][] = [
  ["NUL", "%00"],
  ["malformed id", "x_1-2"],
  ["invalid UTF-8", "%FF"],
];
const queryCases: HostileCase[] = [
  ...LISTS.flatMap(([list, path]) =>
    (["starting_after", "ending_before"] as const).flatMap((param) =>
      BAD_QUERY_VALUES.map(([kind, value]) => ({ name: `query ${list} ${param}: ${kind}`, method: "GET" as const, path: (f: Fixtures) => `${path(f)}?${param}=${value}`, ...refused(param) })),
    ),
  ),
  ...LISTS.map(([list, path]) => ({ name: `query ${list} cursor of another kind`, method: "GET" as const, path: (f: Fixtures) => `${path(f)}?starting_after=mer_${base62(24)}`, ...refused("starting_after") })),
  ...LISTS.map(([list, path]) => ({ name: `query ${list} NUL in a parameter name`, method: "GET" as const, path: (f: Fixtures) => `${path(f)}?x%00=1`, ...refused("x%00") })),
  ...["%00", "1e400", "0", "101", "-1", "abc", "1.5"].map((value) => ({ name: `query limit=${value}`, method: "GET" as const, path: `/v1/loyalty/accounts?limit=${value}`, ...refused("limit") })),
  ...["%00", "%FF", "%ED%A0%80", "%C0%80", "a%E2%82"].map((value) => ({ name: `query customer=${value}`, method: "GET" as const, path: `/v1/loyalty/accounts?customer=${value}`, ...refused("customer") })),
  ...["%00", "rdm_x", "loy_a.b"].map((value) => ({ name: `query transactions account=${value}`, method: "GET" as const, path: `/v1/loyalty/transactions?account=${value}`, ...refused("account") })),
  ...["%00", "loy_%FF"].map((value) => ({ name: `query redemptions account=${value}`, method: "GET" as const, path: `/v1/loyalty/redemptions?account=${value}`, ...refused("account") })),
  { name: "query redemptions reward malformed", method: "GET", path: "/v1/loyalty/redemptions?reward=rwd_%27or%201", ...refused("reward") },
  { name: "query redemptions code NUL", method: "GET", path: "/v1/loyalty/redemptions?code=VINR-%00", ...refused("code") },
  { name: "query redemptions status NUL", method: "GET", path: "/v1/loyalty/redemptions?status=%00", ...refused("status") },
  { name: "query rewards active NUL", method: "GET", path: "/v1/loyalty/rewards?active=true%00", ...refused("active") },
  { name: "query events type NUL", method: "GET", path: "/v1/events?type=loyalty.%00", ...refused("type") },
  { name: "query attempts event malformed", method: "GET", path: (f) => `/v1/webhook-endpoints/${f.endpoint}/attempts?event=evt_%00`, ...refused("event") },
  { name: "query cursor too long", method: "GET", path: `/v1/loyalty/accounts?starting_after=loy_${base62(41)}`, ...refused("starting_after") },
];

// ── Paths: a malformed id names nothing (404), before any query ──────────────────────────────────────
const BAD_IDS: [string, string][] = [
  ["NUL", "loy_%00"],
  ["invalid UTF-8", "loy_%FF"],
  ["encoded surrogate", "loy_%ED%A0%80"],
  ["punctuation", "loy_a-b"],
  ["too long", `loy_${base62(41)}`],
  ["encoded slash", "loy_a%2Fb"],
];
const pathCases: HostileCase[] = [
  ...BAD_IDS.map(([kind, id]) => ({ name: `path account retrieve: ${kind}`, method: "GET" as const, path: `/v1/loyalty/accounts/${id}`, ...missing })),
  ...BAD_IDS.slice(0, 4).map(([kind, id]) => ({ name: `path account close: ${kind}`, method: "POST" as const, path: `/v1/loyalty/accounts/${id}/close`, ...missing })),
  ...(
    [
      ["reward retrieve", "GET", "/v1/loyalty/rewards/rwd_%00"],
      ["reward update", "PATCH", "/v1/loyalty/rewards/rwd_%00"],
      ["redemption retrieve", "GET", "/v1/loyalty/redemptions/rdm_%00"],
      ["redemption fulfill", "POST", "/v1/loyalty/redemptions/rdm_%00/fulfill"],
      ["redemption reverse", "POST", "/v1/loyalty/redemptions/rdm_x-y/reverse"],
      ["redemption release", "POST", "/v1/loyalty/redemptions/rdm_%FF/release"],
      ["endpoint retrieve", "GET", "/v1/webhook-endpoints/we_%00"],
      ["endpoint update", "PATCH", "/v1/webhook-endpoints/we_%00"],
      ["endpoint delete", "DELETE", "/v1/webhook-endpoints/we_%00"],
      ["endpoint rotate", "POST", "/v1/webhook-endpoints/we_a.b/rotate-secret"],
      ["endpoint attempts", "GET", "/v1/webhook-endpoints/we_%ED%A0%80/attempts"],
      ["event retrieve", "GET", "/v1/events/evt_%00"],
      ["event redeliver", "POST", "/v1/events/evt_%00/redeliver"],
      ["test payment expire", "POST", "/v1/test/payments/pay_%00/expire"],
      ["unknown route with NUL", "GET", "/v1/loyalty/%00"],
      ["unknown route with bad UTF-8", "GET", "/v1/%FF/accounts"],
    ] as const
  ).map(([what, method, path]) => ({ name: `path ${what}: malformed id`, method, path, ...missing })),
  { name: "path account id of another kind", method: "GET", path: (f) => `/v1/loyalty/accounts/${f.reward}`, ...missing },
  { name: "path redemption id of another kind", method: "POST", path: (f) => `/v1/loyalty/redemptions/${f.account}/release`, ...missing },
];

// ── Headers: keys, authentication, content types ─────────────────────────────────────────────────────
const idem = (key: string) => ({ "Idempotency-Key": key });
const json = { "Content-Type": "application/json" };
const headerCases: HostileCase[] = [
  ...(
    [
      ["too long", "k".repeat(256)],
      ["latin-1 character", "caf\u00e9"],
      ["tab", "a\tb"],
      ["empty", ""],
    ] as const
  ).map(([kind, key]) => ({ name: `header Idempotency-Key: ${kind}`, method: "POST" as const, path: "/v1/loyalty/accounts", body: () => ({}), headers: idem(key), ...refused("Idempotency-Key") })),
  { name: "header Idempotency-Key on a worker action", method: "POST", path: (f) => `/v1/loyalty/redemptions/${f.redemption}/release`, headers: idem("k".repeat(300)), ...refused("Idempotency-Key") },
  { name: "header no API key", method: "GET", path: "/v1/loyalty/accounts", noKey: true, status: 401, code: "api_key_missing" },
  { name: "header Bearer with latin-1", method: "GET", path: "/v1/loyalty/accounts", noKey: true, headers: { Authorization: "Bearer sk_test_\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9" }, status: 401, code: "api_key_invalid" },
  { name: "header Bearer huge", method: "GET", path: "/v1/loyalty/accounts", noKey: true, headers: { Authorization: `Bearer sk_test_${"a".repeat(4000)}` }, status: 401, code: "api_key_invalid" },
  { name: "header X-Api-Key malformed", method: "GET", path: "/v1/loyalty/accounts", noKey: true, headers: { "X-Api-Key": "sk_test_%00" }, status: 401, code: "api_key_invalid" },
  { name: "header Basic auth", method: "GET", path: "/v1/loyalty/accounts", noKey: true, headers: { Authorization: "Basic dXNlcjpwYXNz" }, status: 401, code: "api_key_invalid" },
  ...["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml", "jsonx"].map((type) => ({
    name: `content type ${type}`,
    method: "POST" as const,
    path: "/v1/loyalty/accounts",
    raw: '{"customer":"c"}',
    headers: { "Content-Type": type },
    status: 400,
    code: "body_invalid",
  })),
];

// ── Raw bytes: strict UTF-8 whatever the declared charset, and what is not a JSON object ─────────────
const BAD_BYTES: [string, number[]][] = [
  ["0xFF", [0xff]],
  ["lone continuation byte", [0x80]],
  ["overlong NUL", [0xc0, 0x80]],
  ["overlong euro", [0xf0, 0x82, 0x82, 0xac]],
  ["encoded surrogate", [0xed, 0xa0, 0x80]],
  ["truncated sequence", [0xe2, 0x82]],
  ["beyond U+10FFFF", [0xf5, 0x80, 0x80, 0x80]],
  ["latin-1 e-acute", [0xe9]],
];
const CHARSETS = ["application/json", "application/json; charset=utf-8", "application/json; charset=iso-8859-1", "application/json; charset=utf-16"];
const encodingCases: HostileCase[] = [
  ...BAD_BYTES.map(([kind, b]) => ({ name: `bytes account customer: ${kind}`, method: "POST" as const, path: "/v1/loyalty/accounts", raw: bytes('{"customer":"a', b, 'b"}'), headers: json, status: 400, code: "body_invalid" })),
  ...CHARSETS.map((type) => ({ name: `bytes 0xFF declared as ${type}`, method: "POST" as const, path: "/v1/loyalty/accounts", raw: bytes('{"customer":"', [0xff], '"}'), headers: { "Content-Type": type }, status: 400, code: "body_invalid" })),
  { name: "bytes bad UTF-8 in a metadata key", method: "POST", path: "/v1/loyalty/accounts", raw: bytes('{"metadata":{"k', [0xc3], '":"v"}}'), headers: json, status: 400, code: "body_invalid" },
  { name: "bytes bad UTF-8 between tokens", method: "POST", path: "/v1/loyalty/accounts", raw: bytes("{", [0xa0], "}"), headers: json, status: 400, code: "body_invalid" },
  { name: "bytes bad UTF-8 in a reason", method: "POST", path: "/v1/loyalty/transactions", raw: bytes('{"account":"loy_x","amount":1,"reason":"', [0xfe], '"}'), headers: json, status: 400, code: "body_invalid" },
  { name: "bytes bad UTF-8 in a reward name", method: "POST", path: "/v1/loyalty/rewards", raw: bytes('{"name":"', [0xff, 0xfe], '"}'), headers: json, status: 400, code: "body_invalid" },
  { name: "bytes bad UTF-8 in a tracking number", method: "POST", path: (f) => `/v1/loyalty/redemptions/${f.redemption}/fulfill`, raw: bytes('{"tracking":"', [0xc0], '"}'), headers: json, status: 400, code: "body_invalid" },
  { name: "bytes bad UTF-8 in an endpoint description", method: "PATCH", path: (f) => `/v1/webhook-endpoints/${f.endpoint}`, raw: bytes('{"description":"', [0x80], '"}'), headers: json, status: 400, code: "body_invalid" },
  { name: "bytes bad UTF-8 on a body-less action", method: "POST", path: (f) => `/v1/loyalty/accounts/${f.account}/close`, raw: bytes([0xff]), headers: json, status: 400, code: "body_invalid" },
  { name: "bytes UTF-16LE body", method: "POST", path: "/v1/loyalty/accounts", raw: Buffer.from('{"customer":"c"}', "utf16le"), headers: { "Content-Type": "application/json; charset=utf-16le" }, status: 400, code: "body_invalid" },
  { name: "bytes raw NUL inside a string", method: "POST", path: "/v1/loyalty/accounts", raw: bytes('{"customer":"a', [0], 'b"}'), headers: json, status: 400, code: "body_invalid" },
  { name: "bytes raw NUL between tokens", method: "POST", path: "/v1/loyalty/accounts", raw: bytes("{", [0], "}"), headers: json, status: 400, code: "body_invalid" },
  ...["[]", '"x"', "null", "1", "true", "{", "{'customer':1}", '{"customer":"c"} x', '{"customer":"c",}'].map((raw) => ({
    name: `bytes not a JSON object: ${raw}`,
    method: "POST" as const,
    path: "/v1/loyalty/accounts",
    raw,
    headers: json,
    status: 400,
    code: "body_invalid",
  })),
];

export const HOSTILE_CASES_PART_ONE: HostileCase[] = [...bodyCases, ...keyCases, ...emptyBodyCases, ...queryCases, ...pathCases, ...headerCases, ...encodingCases];
