import { html } from "hono/html";
import type { Hono } from "hono";
import { z } from "zod";
import { recordAction } from "../../../domain/console/sessions.js";
import { redemptionTimeline, type TimelineEntry } from "../../../domain/console/views.js";
import { getRedemption, listRedemptions } from "../../../domain/redemptions/queries.js";
import { serializeRedemption, type RedemptionObject } from "../../../domain/redemptions/serialize.js";
import { reversibleFrom } from "../../../domain/redemptions/lifecycle.js";
import type { WorkerOperationName } from "../../../domain/requests/operations.js";
import type { AppDeps } from "../../env.js";
import { runInWorker } from "../../idempotency.js";
import { fulfillRedemptionBody, reverseRedemptionBody } from "../../schemas/redemptions.js";
import { asApiContext, FORM_KEY, newFormKey, type ConsoleContext, type ConsoleEnv } from "../context.js";
import { resultLabel } from "../labels.js";
import { csrfField, describeRefusal, fromUnix, page, query, status, when, type Html } from "../layout.js";

const STATUSES = ["pending", "fulfillment_pending", "applied", "fulfilled", "released", "reversed"] as const;
const REASONS = reverseRedemptionBody.shape.reason.options;
const idFilter = (value: string | undefined) => (value && /^[A-Za-z0-9_]{1,64}$/.test(value) ? value : undefined);

export function redemptionRows(rows: RedemptionObject[]): Html {
  if (rows.length === 0) return html`<p class="muted">No redemptions.</p>`;
  return html`<div class="scroll"><table>
<thead><tr><th scope="col">Redemption</th><th scope="col">Status</th><th scope="col">Points</th><th scope="col">Account</th><th scope="col">Reward</th><th scope="col">Created</th></tr></thead>
<tbody>${rows.map(
    (row) =>
      html`<tr><td><a href="/console/redemptions/${row.id}"><code>${row.id}</code></a></td><td>${status(row.status)}</td><td>${row.points}</td><td><a href="/console/members/${row.account}"><code>${row.account}</code></a></td><td><code>${row.reward}</code></td><td>${when(fromUnix(row.created))}</td></tr>`,
  )}</tbody></table></div>`;
}

type Action = "fulfill" | "reverse" | "release";
const ACTIONS: Record<Action, { label: string; operation: WorkerOperationName; done: string; allowedFrom: readonly string[] }> = {
  fulfill: { label: "Mark as shipped (fulfill)", operation: "redemption.fulfill", done: "fulfilled", allowedFrom: ["fulfillment_pending"] },
  reverse: { label: "Reverse (points back, artifact voided)", operation: "redemption.reverse", done: "reversed", allowedFrom: ["applied", "fulfilled", "fulfillment_pending"] },
  release: { label: "Release (points back, nothing was used)", operation: "redemption.release", done: "released", allowedFrom: ["pending"] },
};
const NOTICES: Record<string, string> = { fulfilled: "The redemption was fulfilled.", reversed: "The redemption was reversed; its points were credited back.", released: "The redemption was released; its points were credited back." };

export function registerRedemptions(app: Hono<ConsoleEnv>, deps: AppDeps): void {
  app.get("/redemptions", async (c) => {
    const session = c.var.session;
    const statusFilter = STATUSES.find((s) => s === c.req.query("status"));
    const account = idFilter(c.req.query("account"));
    const reward = idFilter(c.req.query("reward"));
    const after = idFilter(c.req.query("starting_after"));
    const list = await listRedemptions(deps.db, session.scope, { limit: 25, status: statusFilter, account, reward, starting_after: after });
    return c.html(
      page(
        { title: "Redemptions", session, nav: "redemptions" },
        html`<h1>Redemptions</h1>
<form method="get" action="/console/redemptions" class="filters">
  <div><label for="status">Status</label><select id="status" name="status"><option value="">any</option>${STATUSES.map((s) => html`<option value="${s}"${s === statusFilter ? html` selected` : ""}>${s}</option>`)}</select></div>
  <div><label for="account">Account</label><input id="account" name="account" value="${account ?? ""}" placeholder="loy_…"></div>
  <div><label for="reward">Reward</label><input id="reward" name="reward" value="${reward ?? ""}" placeholder="rwd_…"></div>
  <button type="submit">Filter</button>
</form>
${redemptionRows(list.data)}
<p>${after ? html`<a href="/console/redemptions${query({ status: statusFilter, account, reward })}">Newest</a> · ` : ""}${list.next_cursor ? html`<a href="/console/redemptions${query({ status: statusFilter, account, reward, starting_after: list.next_cursor })}">Older</a>` : ""}</p>`,
      ),
    );
  });

  app.get("/redemptions/:id", async (c) => {
    const session = c.var.session;
    const row = await getRedemption(deps.db, session.scope, c.req.param("id"));
    const redemption = serializeRedemption(row);
    const timeline = await redemptionTimeline(deps.db, session.scope, redemption.id);
    const notice = NOTICES[c.req.query("done") ?? ""] ?? null;
    const actions = (Object.keys(ACTIONS) as Action[]).filter((action) =>
      (action === "reverse" ? reversibleFrom(row) : ACTIONS[action].allowedFrom).includes(redemption.status),
    );
    return c.html(
      page(
        { title: `Redemption ${redemption.id}`, session, nav: "redemptions", notice },
        html`<h1>Redemption <code>${redemption.id}</code></h1>
<div class="grid">
  <div class="card"><div class="muted">Status</div><div style="font-size:1.3rem" data-testid="status">${status(redemption.status)}</div><div class="muted">version ${redemption.version}</div></div>
  <div class="card"><div class="muted">Points</div><div style="font-size:1.3rem">${redemption.points}</div><div class="muted">quantity ${redemption.quantity}</div></div>
  <div class="card"><div class="muted">Member</div><a href="/console/members/${redemption.account}"><code>${redemption.account}</code></a><div class="muted">reward <code>${redemption.reward}</code></div></div>
  <div class="card"><div class="muted">Payment</div>${redemption.payment ? html`<code>${redemption.payment}</code>` : html`<span class="muted">none linked</span>`}<div class="muted">expires ${when(fromUnix(redemption.expires_at))}</div></div>
</div>
<h2>Artifact</h2>
<div class="card">${artifact(redemption)}</div>
${redemption.reversal ? html`<p>Reversed: ${redemption.reversal.reason}, credit-back <code>${redemption.reversal.points_transaction}</code></p>` : ""}
<h2>Actions</h2>
<p>${actions.length === 0 ? html`<span class="muted">No action applies in status ${redemption.status}.</span>` : actions.map((action) => html`<a href="/console/redemptions/${redemption.id}/${action}">${ACTIONS[action].label}</a><br>`)}</p>
<h2>Timeline</h2>
${timelineList(timeline)}`,
      ),
    );
  });

  for (const action of Object.keys(ACTIONS) as Action[]) {
    app.get(`/redemptions/:id/${action}`, async (c) => {
      const redemption = serializeRedemption(await getRedemption(deps.db, c.var.session.scope, c.req.param("id")));
      return c.html(confirmPage(c, redemption, action, newFormKey(), null, {}));
    });

    app.post(`/redemptions/:id/${action}`, async (c) => {
      const session = c.var.session;
      const form = c.var.form;
      const redemption = serializeRedemption(await getRedemption(deps.db, session.scope, c.req.param("id")));
      const key = form.idempotency_key ?? "";
      if (!FORM_KEY.test(key)) return c.html(confirmPage(c, redemption, action, newFormKey(), "This confirmation form is not valid; confirm again.", form), 400);
      const parsed = parseParams(action, form);
      if (!parsed.success) return c.html(confirmPage(c, redemption, action, key, `Check the form: ${parsed.error.issues.map((issue) => `${issue.path.join(".") || "form"} ${issue.message}`).join("; ")}`, form), 400);
      // The API's body, so the request is what the API would have stored for it; run as the API runs it.
      c.set("body", parsed.data);
      const response = await runInWorker(asApiContext(c), deps, ACTIONS[action].operation, { id: redemption.id, ...parsed.data } as never, { idempotencyKey: key });
      const text = await response.text();
      const body = text ? (JSON.parse(text) as unknown) : undefined;
      const outcome = response.status === 200 ? "succeeded" : ((body as { error?: { code?: string } })?.error?.code ?? `http_${response.status}`);
      await recordAction(deps.db, session, { action: `redemption.${action}`, target: redemption.id, detail: { ...parsed.data, replayed: response.headers.get("idempotent-replayed") === "true" }, outcome });
      if (response.status === 200) return c.redirect(`/console/redemptions/${redemption.id}?done=${ACTIONS[action].done}`, 303);
      // A refusal is final for this key; a 5xx may be retried with the same key (safe: same request).
      const retryKey = response.status >= 500 ? key : newFormKey();
      const current = serializeRedemption(await getRedemption(deps.db, session.scope, redemption.id));
      return c.html(confirmPage(c, current, action, retryKey, describeRefusal(response.status, body), form), response.status as 400);
    });
  }
}

function parseParams(action: Action, form: Record<string, string>) {
  if (action === "fulfill") return fulfillRedemptionBody.safeParse({ tracking: form.tracking?.trim(), ...(form.carrier?.trim() ? { carrier: form.carrier.trim() } : {}) });
  if (action === "reverse") return reverseRedemptionBody.safeParse({ reason: form.reason });
  return z.strictObject({}).safeParse({});
}

function confirmPage(c: ConsoleContext, redemption: RedemptionObject, action: Action, key: string, error: string | null, form: Record<string, string>) {
  const session = c.var.session;
  const fields =
    action === "fulfill"
      ? html`<label for="tracking">Tracking number</label><input id="tracking" name="tracking" required maxlength="200" value="${form.tracking ?? ""}">
<label for="carrier">Carrier (optional)</label><input id="carrier" name="carrier" maxlength="100" value="${form.carrier ?? ""}">`
      : action === "reverse"
        ? html`<label for="reason">Reason</label><select id="reason" name="reason" required>${REASONS.map((reason) => html`<option value="${reason}"${form.reason === reason ? html` selected` : ""}>${reason.replaceAll("_", " ")}</option>`)}</select>`
        : html`<p>The ${redemption.points} points go back to the member; the redemption can no longer be used.</p>`;
  return page(
    { title: `Confirm: ${action}`, session, nav: "redemptions", error },
    html`<h1>Confirm: ${ACTIONS[action].label}</h1>
<p>Redemption <a href="/console/redemptions/${redemption.id}"><code>${redemption.id}</code></a>, status ${status(redemption.status)}, ${redemption.points} points, member <code>${redemption.account}</code>.</p>
<div class="card">
<form method="post" action="/console/redemptions/${redemption.id}/${action}">
  ${csrfField(session)}
  <input type="hidden" name="idempotency_key" value="${key}">
  ${fields}
  <p><button type="submit" class="${action === "fulfill" ? "" : "danger"}">Confirm ${action}</button> <a href="/console/redemptions/${redemption.id}">Cancel</a></p>
</form>
</div>`,
  );
}

function artifact(r: RedemptionObject): Html {
  const parts: Html[] = [];
  if (r.discount) {
    const value = "percent" in r.discount ? `${r.discount.percent}% off` : `${r.discount.amount} ${r.discount.currency} off (minor units)`;
    parts.push(html`<p>Discount code <code data-testid="code">${r.discount.code}</code> — ${value}</p>`);
  }
  if (r.credit) parts.push(html`<p>Store credit ${r.credit.amount} ${r.credit.currency} (minor units)</p>`);
  if (r.fulfillment) {
    const f = r.fulfillment;
    parts.push(html`<p>Product <code>${f.product}</code> × ${f.quantity}, to ${f.shipping.name}, ${f.shipping.line1}, ${f.shipping.postal_code} ${f.shipping.city}, ${f.shipping.country}</p>
<p>Shipped: ${f.tracking ? html`${f.carrier ?? "carrier not given"}, tracking <code>${f.tracking}</code>, ${when(fromUnix(f.shipped_at))}` : html`<span class="muted">not yet</span>`}</p>`);
  }
  return parts.length ? html`${parts}` : html`<span class="muted">No artifact.</span>`;
}

function timelineList(entries: TimelineEntry[]): Html {
  if (entries.length === 0) return html`<p class="muted">Nothing yet.</p>`;
  return html`<ol class="timeline" data-testid="timeline">${entries.map(
    (entry) => html`<li${entry.inbound ? html` data-webhook-id="${entry.inbound.webhookId}"` : ""}><div>${when(entry.at)} · <strong>${entry.title}</strong> <span class="muted">${entry.kind}</span></div>${entry.inbound
      ? html`<div><a href="/console/inbound"><code>${entry.inbound.webhookId}</code></a>: ${entry.inbound.outcomes.map((outcome, i) => html`${i ? ", " : ""}${resultLabel(outcome)}`)}</div>`
      : html`<div class="mono muted">${entry.detail}</div>`}
${entry.deliveries && entry.deliveries.length > 0
  ? html`<div class="scroll"><table><caption class="muted" style="text-align:left">Outbound deliveries</caption>
<thead><tr><th scope="col">Endpoint</th><th scope="col">Delivery</th><th scope="col">Attempts (status, duration, error)</th></tr></thead>
<tbody>${entry.deliveries.map(
      (d) => html`<tr><td><a href="/console/webhooks/${d.endpointId}"><code>${d.endpointUrl}</code></a></td><td>${status(d.status)}${d.redelivery ? " (redelivery)" : ""}${d.nextAttemptAt ? html`<br>next ${when(d.nextAttemptAt)}` : ""}</td>
<td>${d.attempts.length === 0 ? html`<span class="muted">none yet</span>` : d.attempts.map((a) => html`<div>#${a.attempt}: ${a.statusCode ?? "no response"}, ${a.durationMs} ms${a.error ? `, ${a.error}` : ""} · ${when(a.at)}</div>`)}</td></tr>`,
    )}</tbody></table></div>`
  : entry.kind === "event"
    ? html`<div class="muted">No outbound delivery.</div>`
    : ""}</li>`,
  )}</ol>`;
}
