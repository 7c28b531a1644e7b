/**
 * The guide at the top of `/docs` (the document's `info.description`, Markdown). A summary of
 * docs/api.md for someone integrating in minutes; docs/api.md stays the contract.
 */
export const GUIDE_MARKDOWN = `
Spend loyalty points for rewards: loyalty accounts and an append-only points ledger, a rewards catalog
with inventory, and **redemptions** that debit points and issue the reward atomically, exactly once per
\`Idempotency-Key\`, without ever taking a balance or an inventory below 0. The full contract is
\`docs/api.md\`; this page is generated from the same schemas that validate requests (\`/openapi.json\`).

## Authentication and modes

Send a secret key on every \`/v1\` request: \`Authorization: Bearer sk_test_…\`, or \`X-Api-Key: sk_test_…\`
when you cannot set \`Authorization\`. The key decides the merchant and the **mode**: \`sk_test_\` keys see
only test-mode objects, \`sk_live_\` keys only live ones (\`livemode\` on every object). An object of
another merchant or mode is answered exactly like one that does not exist (\`404 resource_missing\`).
No key: \`401 api_key_missing\`; an unknown, revoked or expired key: \`401 api_key_invalid\`. Keys are made
with the CLI: \`npm run --silent cli -- merchants create --name "Acme"\`.

## Idempotency

Every write (\`POST\`, \`PATCH\`, \`DELETE\`) accepts \`Idempotency-Key\` (1–255 printable ASCII characters:
a UUID, or your cart id). Send one on every write you might retry, and always when creating a redemption.
A retry with the same key gets the first answer back, byte for byte, with \`Idempotent-Replayed: true\`,
and does nothing again (stored 48 hours, per merchant and mode). The same key with another method, path
or body is \`409 idempotency_conflict\`. Answers given before the request runs (401, 413, validation
400s) and every 5xx are not stored: fix or retry the request with the same key.

**A \`503 service_unavailable\` means the request was not carried out and never will be**: retry with the
same key after \`Retry-After\` seconds. A \`500 outcome_unknown\` means the outcome could not be read:
retry with the same key to learn it.

## Errors

Errors never come with a 2xx status, and always have this body:

\`\`\`json
{"error": {"type": "invalid_request_error", "code": "insufficient_points",
           "message": "The account's balance does not cover 500 points.", "request_id": "req_…"}}
\`\`\`

Program against \`code\` (each has exactly one HTTP status; every operation below lists the codes it can
return); \`message\` is for humans; \`param\` names the parameter to blame, when there is one. Every
response carries a \`Request-Id\` header, also found in the logs.

| status | codes |
|---|---|
| 400 | \`parameter_missing\`, \`parameter_invalid\`, \`body_invalid\` |
| 401 | \`api_key_missing\`, \`api_key_invalid\`, \`signature_invalid\` (inbound webhooks) |
| 404 | \`resource_missing\` |
| 409 | \`idempotency_conflict\` |
| 413 | \`body_too_large\` (over 64 KiB) |
| 422 | \`insufficient_points\`, \`reward_inactive\`, \`reward_out_of_stock\`, \`account_closed\`, \`invalid_state_transition\`, \`redemption_already_applied\`, \`currency_mismatch\`, \`balance_limit_exceeded\` |
| 429 | \`rate_limited\` |
| 500 | \`internal_error\`, \`outcome_unknown\` |
| 503 | \`service_unavailable\` |

## Pagination

Lists return the newest objects first: \`{"object": "list", "data": […], "has_more": true, "next_cursor": "rdm_…"}\`.
\`limit\` is 1–100 (default 25). Pass \`next_cursor\` as \`starting_after\` to get older objects, or use
\`ending_before\` to page towards newer ones; \`next_cursor\` continues in the direction of the parameter it
came from and is \`null\` when \`has_more\` is false.

## The redemption state machine

Every status change raises \`version\` by one and writes exactly one \`loyalty.redemption.*\` event. Any
other change is \`422 invalid_state_transition\` (reversing an applied discount is
\`422 redemption_already_applied\`: refund the order instead).

\`\`\`text
                      create (discount)         payment completed
        ┌──────────────────────────────▶ pending ────────────────────────▶ applied
        │                                  │   │                             │
        │      payment failed / canceled / │   │ reverse              reverse│ (store credit only)
        │      expired, expires_at, release│   └──────────────┐              │
        │                                  ▼                  ▼              ▼
 (new) ─┤                               released           reversed ◀────────┘
        │                              (final, +points)    (final, +points)
        │   create (free_product)                             ▲   ▲
        ├──────────────────────▶ fulfillment_pending ─────────┘   │ reverse / shipment.returned
        │                               │  fulfill /              │
        │                               │  shipment.shipped       │
        │                               └────────────▶ fulfilled ─┘
        │   create (store_credit): created at version 1, applied at version 2
        └──────────────────────────────────────────▶ applied
\`\`\`

Points are debited at creation and credited back at most once (on \`released\` or \`reversed\`).

## Webhooks

Register an endpoint (\`POST /v1/webhook-endpoints\`, its \`whsec_…\` secret is in that answer only) and
every event it subscribes to is \`POST\`ed to it at least once, signed with
[Standard Webhooks](https://www.standardwebhooks.com/) headers \`webhook-id\` (the event id: deduplicate
on it), \`webhook-timestamp\` and \`webhook-signature\`. Verify over the **raw** body with the
\`standardwebhooks\` package:

\`\`\`js
import { Webhook } from "standardwebhooks";
const event = new Webhook(process.env.WHSEC.replace(/^whsec_/, "")).verify(rawBody, {
  "webhook-id": req.headers["webhook-id"],
  "webhook-timestamp": req.headers["webhook-timestamp"],
  "webhook-signature": req.headers["webhook-signature"],
}); // throws if the signature or timestamp is not valid
\`\`\`

Answer 2xx within 10 s; failures are retried (1 min, 5 min, 30 min, 2 h, 24 h). **Ordering is not
guaranteed**: order a redemption's events by \`data.object.version\` (1, 2, … without gaps) and ignore an
event older than the version you have. The event types and their payloads are under *Webhooks* below.

## Rate limits

\`/v1\` requests are limited per API key (default 100 a second, bursts up to 200), requests with a missing
or invalid key per client address (20 a second), inbound webhooks per merchant and source (1000 a
second). Limited responses carry \`RateLimit-Limit\`, \`RateLimit-Remaining\` and \`RateLimit-Reset\`; past a
limit the answer is \`429 rate_limited\` with \`Retry-After\`: nothing happened, retry after that long with the
same \`Idempotency-Key\`.

## Sandbox

With a test key, \`POST /v1/test/payments\` plays the payment provider: it applies the listed discount
redemptions and sends its signed \`payment.*\` events through the real inbound pipeline, so redemptions
settle shortly after the answer.

| card | payment | redemptions become |
|---|---|---|
| \`4242 4242 4242 4242\` | \`completed\` | \`applied\` |
| \`4000 0000 0000 0002\` | \`failed\` (\`card_declined\`) | \`released\` |
| \`4000 0000 0000 9995\` | \`failed\` (\`insufficient_funds\`) | \`released\` |
| \`4000 0000 0000 3220\` | \`requires_authentication\` | stay \`pending\` until \`POST /v1/test/payments/{id}/expire\` |

Any other card number is \`400 parameter_invalid\`. Live keys get \`404\` for every \`/v1/test/…\` URL.
`.trim();
