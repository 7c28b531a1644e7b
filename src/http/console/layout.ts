import { html, raw } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import type { ConsoleSession } from "../../domain/console/sessions.js";

export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

/** Small, responsive, no external resources: the CSP allows inline styles and nothing else. */
const CSS = `
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1f24;background:#f6f7f9}
a{color:#0b57d0}
header{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;padding:.6rem 1rem;background:#1b1f24;color:#fff}
header a{color:#fff;text-decoration:none}
header nav{display:flex;flex-wrap:wrap;gap:.25rem .9rem;flex:1}
header nav a[aria-current=page]{text-decoration:underline}
.badge{display:inline-block;padding:.1rem .5rem;border-radius:.3rem;font-weight:700;font-size:.8rem;letter-spacing:.05em}
.badge.test{background:#ffd54f;color:#1b1f24}.badge.live{background:#c62828;color:#fff}
main{max-width:72rem;margin:0 auto;padding:1rem}
h1{font-size:1.4rem;margin:.5rem 0 1rem}h2{font-size:1.1rem;margin:1.5rem 0 .5rem}
table{border-collapse:collapse;width:100%;background:#fff;font-size:.9rem}
th,td{text-align:left;padding:.4rem .5rem;border-bottom:1px solid #e1e4e8;vertical-align:top}
th{background:#eef0f3}
.scroll{overflow-x:auto}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.85em;word-break:break-all}
code.word{word-break:normal}
form.inline{display:inline}
label{display:block;margin:.5rem 0 .2rem;font-weight:600}
input,select{font:inherit;padding:.35rem .5rem;border:1px solid #8a929b;border-radius:.3rem;max-width:100%}
button{font:inherit;padding:.4rem .9rem;border-radius:.3rem;border:1px solid #0b57d0;background:#0b57d0;color:#fff;cursor:pointer}
button.secondary{background:#fff;color:#0b57d0}
button.danger{background:#b3261e;border-color:#b3261e}
.card{background:#fff;border:1px solid #e1e4e8;border-radius:.4rem;padding:.8rem 1rem;margin:.6rem 0}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(14rem,1fr));gap:.6rem}
.notice{background:#e6f4ea;border:1px solid #137333;padding:.6rem 1rem;border-radius:.3rem}
.error{background:#fce8e6;border:1px solid #b3261e;padding:.6rem 1rem;border-radius:.3rem}
.muted{color:#4d5761}
.filters{display:flex;flex-wrap:wrap;gap:.5rem;align-items:flex-end}
.filters label{margin:0 0 .2rem}
.st{font-weight:600}.st.ok{color:#137333}.st.bad{color:#b3261e}
ol.timeline{list-style:none;padding:0;margin:0;border-left:3px solid #c4c9cf}
ol.timeline>li{margin:0 0 .8rem;padding-left:.8rem}
svg.chart{width:100%;max-width:36rem;height:auto;background:#fff;border:1px solid #e1e4e8}
@media (max-width:40rem){main{padding:.6rem}th,td{padding:.3rem}header{padding:.5rem}}
`;

export interface PageOptions {
  title: string;
  session?: ConsoleSession | null;
  /** Which nav entry is current. */
  nav?: string;
  notice?: string | null;
  error?: string | null;
}

const NAV: [string, string][] = [
  ["members", "Members"],
  ["redemptions", "Redemptions"],
  ["webhooks", "Webhooks"],
  ["inbound", "Inbound"],
  ["rewards", "Rewards"],
  ["activity", "Activity"],
];

export function page(options: PageOptions, body: Html): Html {
  const { session } = options;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${options.title} · Loyalty console</title>
<style>${raw(CSS)}</style>
</head>
<body>
<header>
  <a href="/console"><strong>Loyalty console</strong></a>
  ${session ? modeBadge(session.scope.livemode) : ""}
  ${session
    ? html`<nav aria-label="Console">${NAV.map(([key, label]) => html`<a href="/console/${key}"${options.nav === key ? raw(' aria-current="page"') : ""}>${label}</a>`)}</nav>
  <span class="muted" style="color:#d0d4d9">key …${session.keyLast4}</span>
  <form class="inline" method="post" action="/console/sign-out">${csrfField(session)}<button class="secondary" type="submit">Sign out</button></form>`
    : ""}
</header>
<main>
${options.notice ? html`<p class="notice" role="status">${options.notice}</p>` : ""}
${options.error ? html`<div class="error" role="alert">${options.error}</div>` : ""}
${body}
</main>
</body>
</html>`;
}

export const modeBadge = (livemode: boolean) =>
  livemode ? html`<span class="badge live" title="Live mode: real members and money">LIVE</span>` : html`<span class="badge test" title="Test mode">TEST</span>`;

export const csrfField = (session: ConsoleSession) => html`<input type="hidden" name="_csrf" value="${session.csrfToken}">`;

export const when = (date: Date | null | undefined) => (date ? html`<time datetime="${date.toISOString()}">${date.toISOString().replace("T", " ").slice(0, 19)} UTC</time>` : html`<span class="muted">—</span>`);
export const fromUnix = (seconds: number | null | undefined) => (seconds === null || seconds === undefined ? null : new Date(seconds * 1000));

const GOOD = new Set(["succeeded", "applied", "fulfilled", "active", "enabled", "processed"]);
const BAD = new Set(["failed", "reversed", "canceled", "disabled", "closed", "unmatched", "settlement_conflict"]);
export const status = (value: string | null) =>
  value === null ? html`<span class="muted">—</span>` : html`<span class="st${GOOD.has(value) ? " ok" : BAD.has(value) ? " bad" : ""}">${value}</span>`;

/** Builds a query string from the defined values only. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== "") search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : "";
}

/** Human-readable refusal from the API's error body. */
export function describeRefusal(status: number, body: unknown): string {
  const error = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
  const code = error?.code ?? `HTTP ${status}`;
  const advice: Record<string, string> = {
    invalid_state_transition: "The redemption is not in a state that allows this.",
    service_unavailable: "The service could not do it in time; nothing was changed. Submitting the same form again is safe.",
    outcome_unknown: "The outcome could not be confirmed. Submitting the same form again tells you what happened.",
    idempotency_conflict: "This confirmation form was already used for a different request; open the action again.",
    rate_limited: "Too many requests; wait a moment and try again.",
    resource_missing: "Not found.",
  };
  return `${advice[code] ? `${advice[code]} ` : ""}(${code}${status ? `, ${status}` : ""}) ${error?.message ?? ""}`.trim();
}
