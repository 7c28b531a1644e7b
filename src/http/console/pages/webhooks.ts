import { logEnqueueFailure } from "../../../ops/outages.js";
import { html } from "hono/html";
import type { Hono } from "hono";
import { recordAction } from "../../../domain/console/sessions.js";
import { endpointHealth, type EndpointHealth } from "../../../domain/console/views.js";
import { listAttempts } from "../../../domain/webhooks/attempts.js";
import { getEndpoint, listEndpoints } from "../../../domain/webhooks/endpoints.js";
import { createRedeliveries } from "../../../domain/webhooks/events.js";
import { recoverableEvents, RECOVER_MAX_EVENTS } from "../../../domain/webhooks/recover.js";
import { deliveryJobId } from "../../../domain/webhooks/relay.js";
import { enqueueMany } from "../../../queue/producer.js";
import type { AppDeps } from "../../env.js";
import { runInline } from "../../idempotency.js";
import { recoverAndEnqueue } from "../../routes/webhook-endpoints/recover-webhook-endpoint.js";
import { asApiContext, FORM_KEY, newFormKey, type ConsoleContext, type ConsoleEnv } from "../context.js";
import { csrfField, describeRefusal, fromUnix, page, query, status, when, type Html } from "../layout.js";

const idOf = (value: string | undefined) => (value && /^[A-Za-z0-9_]{1,64}$/.test(value) ? value : undefined);

/** Failures (red, stacked on successes in green) per hour, last 24 h; text alternative included. */
export function healthChart(health: EndpointHealth): Html {
  const width = 480;
  const height = 120;
  const barWidth = width / 24;
  const max = Math.max(1, ...health.hours.map((h) => h.succeeded + h.failed));
  const bars = health.hours.map((hour, i) => {
    const okHeight = (hour.succeeded / max) * (height - 20);
    const badHeight = (hour.failed / max) * (height - 20);
    const x = i * barWidth + 1;
    const label = `${hour.hour.toISOString().slice(11, 16)} UTC: ${hour.succeeded} succeeded, ${hour.failed} failed`;
    return html`<g><title>${label}</title><rect x="${x}" y="${height - okHeight}" width="${barWidth - 2}" height="${okHeight}" fill="#137333"></rect><rect x="${x}" y="${height - okHeight - badHeight}" width="${barWidth - 2}" height="${badHeight}" fill="#b3261e" data-failed="${hour.failed}"></rect></g>`;
  });
  const total = health.succeeded + health.failed;
  const summary = `Last 24 hours: ${health.succeeded} attempts succeeded, ${health.failed} failed${total ? ` (success rate ${Math.round((health.succeeded / total) * 100)}%)` : ""}.`;
  return html`<svg class="chart" viewBox="0 0 ${width} ${height}" role="img" aria-label="${summary}" data-testid="chart"><title>${summary}</title>${bars}<line x1="0" y1="${height - 0.5}" x2="${width}" y2="${height - 0.5}" stroke="#8a929b"></line></svg>`;
}

const successRate = (h: EndpointHealth) => {
  const total = h.succeeded + h.failed;
  return total === 0 ? "no attempts" : `${Math.round((h.succeeded / total) * 100)}% of ${total}`;
};

export function registerWebhooks(app: Hono<ConsoleEnv>, deps: AppDeps): void {
  app.get("/webhooks", async (c) => {
    const session = c.var.session;
    const endpoints = await listEndpoints(deps.db, session.scope, { limit: 100 });
    const healths = await Promise.all(endpoints.data.map(async (e) => endpointHealth(deps.db, await getEndpoint(deps.db, session.scope, e.id))));
    return c.html(
      page(
        { title: "Webhooks", session, nav: "webhooks" },
        html`<h1>Webhook endpoints</h1>
${healths.length === 0 ? html`<p class="muted">No endpoints.</p>` : ""}
${healths.map(
  (h) => html`<div class="card"><h2 style="margin-top:0"><a href="/console/webhooks/${h.endpoint.id}"><code>${h.endpoint.url}</code></a></h2>
<p>${status(h.endpoint.status)} · success ${successRate(h)} · last error ${h.lastError ? html`${h.lastError.statusCode ?? h.lastError.error} at ${when(h.lastError.at)}` : "none"} · next retry ${when(h.nextRetryAt)}</p>
${h.disabledReason ? html`<p class="error">${h.disabledReason}</p>` : ""}
${healthChart(h)}</div>`,
)}`,
      ),
    );
  });

  app.get("/webhooks/:id", async (c) => {
    const session = c.var.session;
    const endpoint = await getEndpoint(deps.db, session.scope, c.req.param("id"));
    const health = await endpointHealth(deps.db, endpoint);
    const after = idOf(c.req.query("starting_after"));
    const attempts = await listAttempts(deps.db, session.scope, endpoint.id, { limit: 25, starting_after: after });
    const notice = c.req.query("recovered") !== undefined ? `Recovery started: ${Number(c.req.query("recovered")) || 0} event(s) redelivered.` : c.req.query("resent") !== undefined ? "The event was sent again." : null;
    const defaultSince = new Date(Date.now() - 24 * 3_600_000).toISOString().slice(0, 16);
    return c.html(
      page(
        { title: `Endpoint ${endpoint.id}`, session, nav: "webhooks", notice },
        html`<h1>Endpoint <code>${endpoint.url}</code></h1>
<div class="grid">
  <div class="card"><div class="muted">Status</div>${status(endpoint.status)}${health.disabledReason ? html`<div>${health.disabledReason}</div>` : ""}</div>
  <div class="card"><div class="muted">Success, last 24 h</div><strong data-testid="rate">${successRate(health)}</strong><div class="muted">${health.failed} failed</div></div>
  <div class="card"><div class="muted">Last error</div>${health.lastError ? html`${health.lastError.statusCode ?? "no response"}${health.lastError.error ? `, ${health.lastError.error}` : ""}<div class="muted">${when(health.lastError.at)}</div>` : "none"}</div>
  <div class="card"><div class="muted">Next retry</div>${when(health.nextRetryAt)}<div class="muted">${health.pending} pending</div></div>
</div>
<h2>Attempts per hour (last 24 h)</h2>
${healthChart(health)}
<h2>Recover</h2>
<form method="get" action="/console/webhooks/${endpoint.id}/recover" class="filters">
  <div><label for="since">Redeliver every failed or canceled delivery since (UTC)</label><input id="since" name="since" type="datetime-local" value="${defaultSince}" required></div>
  <button type="submit">Review recovery</button>
</form>
<h2>Attempts log</h2>
<div class="scroll"><table>
<thead><tr><th scope="col">When</th><th scope="col">Event</th><th scope="col">Attempt</th><th scope="col">Status</th><th scope="col">Duration</th><th scope="col">Error</th><th scope="col">Next attempt</th><th scope="col">Action</th></tr></thead>
<tbody data-testid="attempts">${attempts.data.map(
          (a) => html`<tr><td>${when(fromUnix(a.created))}</td><td><code>${a.event}</code></td><td>${a.attempt}</td><td>${a.status_code === null ? "no response" : html`<span class="st ${a.status_code >= 200 && a.status_code < 300 ? "ok" : "bad"}">${a.status_code}</span>`}</td><td>${a.duration_ms} ms</td><td>${a.error ?? ""}</td><td>${when(fromUnix(a.next_attempt_at))}</td><td><a href="/console/webhooks/${endpoint.id}/resend${query({ event: a.event })}">Resend</a></td></tr>`,
        )}
${attempts.data.length === 0 ? html`<tr><td colspan="8" class="muted">No attempts yet.</td></tr>` : ""}</tbody></table></div>
<p>${after ? html`<a href="/console/webhooks/${endpoint.id}">Newest</a> · ` : ""}${attempts.next_cursor ? html`<a href="/console/webhooks/${endpoint.id}${query({ starting_after: attempts.next_cursor })}">Older attempts</a>` : ""}</p>`,
      ),
    );
  });

  // Resend one event to this endpoint: the API's redeliver (its domain function), after a confirmation.
  app.get("/webhooks/:id/resend", async (c) => {
    const endpoint = await getEndpoint(deps.db, c.var.session.scope, c.req.param("id"));
    const event = idOf(c.req.query("event"));
    if (!event) return c.redirect(`/console/webhooks/${endpoint.id}`, 303);
    return c.html(resendPage(c, endpoint.id, endpoint.url, event, newFormKey(), null));
  });

  app.post("/webhooks/:id/resend", async (c) => {
    const session = c.var.session;
    const endpoint = await getEndpoint(deps.db, session.scope, c.req.param("id"));
    const event = idOf(c.var.form.event);
    const key = c.var.form.idempotency_key ?? "";
    if (!event || !FORM_KEY.test(key)) return c.html(resendPage(c, endpoint.id, endpoint.url, event ?? "", newFormKey(), "This confirmation form is not valid; confirm again."), 400);
    c.set("body", { event, endpoint: endpoint.id });
    const response = await runInline(asApiContext(c), deps, async (trx) => ({ status: 200, body: await createRedeliveries(trx, session.scope, event, endpoint.id) }), { idempotencyKey: key });
    const body = JSON.parse(await response.text()) as { deliveries?: string[]; endpoints?: string[]; error?: { code: string } };
    await recordAction(deps.db, session, { action: "event.redeliver", target: event, detail: { endpoint: endpoint.id }, outcome: response.status === 200 ? "succeeded" : (body.error?.code ?? `http_${response.status}`) });
    if (response.status !== 200) return c.html(resendPage(c, endpoint.id, endpoint.url, event, newFormKey(), describeRefusal(response.status, body)), response.status as 400);
    const jobs = (body.deliveries ?? []).map((deliveryId, i) => ({ payload: { deliveryId, endpointId: body.endpoints?.[i] ?? endpoint.id }, jobId: deliveryJobId({ id: deliveryId, attempts: 0 }) }));
    await enqueueMany(deps.queues, "deliver-webhook", jobs).catch(logEnqueueFailure(c.var.logger, "enqueue of redeliveries failed; the sweeper will re-drive"));
    return c.redirect(`/console/webhooks/${endpoint.id}?resent=1`, 303);
  });

  app.get("/webhooks/:id/recover", async (c) => {
    const endpoint = await getEndpoint(deps.db, c.var.session.scope, c.req.param("id"));
    const since = parseSince(c.req.query("since"));
    if (since === null) return c.redirect(`/console/webhooks/${endpoint.id}`, 303);
    const candidates = await recoverableEvents(deps.db, c.var.session.scope, endpoint.id, new Date(since * 1000), RECOVER_MAX_EVENTS);
    return c.html(recoverPage(c, endpoint.id, endpoint.url, since, candidates.length, newFormKey(), null));
  });

  app.post("/webhooks/:id/recover", async (c) => {
    const session = c.var.session;
    const endpoint = await getEndpoint(deps.db, session.scope, c.req.param("id"));
    const since = Number(c.var.form.since);
    const key = c.var.form.idempotency_key ?? "";
    if (!Number.isInteger(since) || since < 0 || !FORM_KEY.test(key)) return c.redirect(`/console/webhooks/${endpoint.id}`, 303);
    c.set("body", { since });
    const response = await recoverAndEnqueue(asApiContext(c), deps, endpoint.id, since, { idempotencyKey: key });
    const body = JSON.parse(await response.text()) as { count?: number; error?: { code: string } };
    await recordAction(deps.db, session, { action: "webhook_endpoint.recover", target: endpoint.id, detail: { since, count: body.count ?? null }, outcome: response.status === 200 ? "succeeded" : (body.error?.code ?? `http_${response.status}`) });
    if (response.status !== 200) return c.html(recoverPage(c, endpoint.id, endpoint.url, since, null, newFormKey(), describeRefusal(response.status, body)), response.status as 400);
    return c.redirect(`/console/webhooks/${endpoint.id}?recovered=${body.count ?? 0}`, 303);
  });
}

/** `datetime-local` (taken as UTC) or unix seconds. */
function parseSince(value: string | undefined): number | null {
  if (!value) return null;
  if (/^\d{1,12}$/.test(value)) return Number(value);
  const ms = Date.parse(/Z$|[+-]\d\d:\d\d$/.test(value) ? value : `${value}Z`);
  return Number.isFinite(ms) && ms >= 0 ? Math.floor(ms / 1000) : null;
}

function resendPage(c: ConsoleContext, endpointId: string, url: string, event: string, key: string, error: string | null) {
  const session = c.var.session;
  return page(
    { title: "Confirm: resend", session, nav: "webhooks", error },
    html`<h1>Confirm: resend an event</h1>
<p>Send event <code>${event}</code> again to <code>${url}</code>, as a new delivery with its own retries.</p>
<form method="post" action="/console/webhooks/${endpointId}/resend">${csrfField(session)}<input type="hidden" name="idempotency_key" value="${key}"><input type="hidden" name="event" value="${event}">
<button type="submit">Resend</button> <a href="/console/webhooks/${endpointId}">Cancel</a></form>`,
  );
}

function recoverPage(c: ConsoleContext, endpointId: string, url: string, since: number, candidates: number | null, key: string, error: string | null) {
  const session = c.var.session;
  return page(
    { title: "Confirm: recover", session, nav: "webhooks", error },
    html`<h1>Confirm: recover deliveries</h1>
<p>Redeliver to <code>${url}</code> every event whose delivery failed or was canceled since ${when(new Date(since * 1000))}${candidates === null ? "" : html` (<strong data-testid="candidates">${candidates}</strong> event(s); events delivered since, or on their way, are skipped)`}.</p>
<form method="post" action="/console/webhooks/${endpointId}/recover">${csrfField(session)}<input type="hidden" name="idempotency_key" value="${key}"><input type="hidden" name="since" value="${since}">
<button type="submit">Recover</button> <a href="/console/webhooks/${endpointId}">Cancel</a></form>`,
  );
}
