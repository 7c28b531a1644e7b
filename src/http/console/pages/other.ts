import { html } from "hono/html";
import type { Hono } from "hono";
import { listActions, recordAction } from "../../../domain/console/sessions.js";
import { recentInbound } from "../../../domain/console/views.js";
import { getReward, listRewards, serializeReward, updateReward } from "../../../domain/rewards/rewards.js";
import type { AppDeps } from "../../env.js";
import { runInline } from "../../idempotency.js";
import { asApiContext, FORM_KEY, newFormKey, type ConsoleEnv } from "../context.js";
import { inboundOutcomeLabel, resultLabel } from "../labels.js";
import { csrfField, describeRefusal, page, query, status, when } from "../layout.js";

/** Rows per Activity page; older ones behind "Older" links (keyset on seq, newest first). */
export const ACTIVITY_PAGE_SIZE = 50;

export function registerOtherPages(app: Hono<ConsoleEnv>, deps: AppDeps): void {
  app.get("/inbound", async (c) => {
    const session = c.var.session;
    const source = c.req.query("source") === "payments" || c.req.query("source") === "warehouse" ? (c.req.query("source") as "payments" | "warehouse") : undefined;
    const before = /^inbox_[A-Za-z0-9]{1,40}$/.test(c.req.query("before") ?? "") ? c.req.query("before") : undefined;
    const { rows, hasMore } = await recentInbound(deps.db, session.scope, { limit: 50, source, before });
    const last = rows[rows.length - 1];
    return c.html(
      page(
        { title: "Inbound webhooks", session, nav: "inbound" },
        html`<h1>Inbound webhooks</h1>
<form method="get" action="/console/inbound" class="filters"><div><label for="source">Source</label><select id="source" name="source"><option value="">both</option>${["payments", "warehouse"].map((s) => html`<option value="${s}"${s === source ? html` selected` : ""}>${s}</option>`)}</select></div><button type="submit">Filter</button></form>
<div class="scroll"><table>
<thead><tr><th scope="col">Received</th><th scope="col">Source</th><th scope="col">Type</th><th scope="col">Webhook id</th><th scope="col">Outcome</th><th scope="col">Redemptions</th></tr></thead>
<tbody data-testid="inbound">${rows.map(
          (row) => html`<tr data-webhook-id="${row.webhook_id}"><td>${when(row.received_at)}</td><td>${row.source}</td><td><code class="word">${row.event_type}</code></td><td><code>${row.webhook_id}</code></td>
<td>${inboundOutcomeLabel(row)}</td>
<td>${(row.results ?? []).map((r) => html`<div>${r.redemption ? html`<a href="/console/redemptions/${r.redemption}"><code>${r.redemption}</code></a>` : html`<code>${r.ref}</code>`}: ${resultLabel(r.outcome)}</div>`)}</td></tr>`,
        )}
${rows.length === 0 ? html`<tr><td colspan="6" class="muted">No inbound webhooks.</td></tr>` : ""}</tbody></table></div>
<p>${hasMore && last ? html`<a href="/console/inbound${query({ source, before: last.id })}">Older</a>` : ""}</p>`,
      ),
    );
  });

  app.get("/rewards", async (c) => {
    const session = c.var.session;
    const rewards = await listRewards(deps.db, session.scope, { limit: 100 });
    return c.html(
      page(
        { title: "Rewards", session, nav: "rewards", notice: c.req.query("done") === "1" ? "The reward was updated." : null },
        html`<h1>Rewards</h1>
<div class="scroll"><table>
<thead><tr><th scope="col">Reward</th><th scope="col">Type</th><th scope="col">Cost</th><th scope="col">Inventory</th><th scope="col">Active</th><th scope="col">Action</th></tr></thead>
<tbody>${rewards.data.map(
          (r) => html`<tr><td>${r.name}<br><code>${r.id}</code></td><td>${r.type}</td><td>${r.cost}</td><td>${r.inventory === null ? "unlimited" : r.inventory}</td><td>${status(r.active ? "active" : "inactive")}</td>
<td><a href="/console/rewards/${r.id}/${r.active ? "deactivate" : "activate"}">${r.active ? "Deactivate" : "Activate"}</a></td></tr>`,
        )}
${rewards.data.length === 0 ? html`<tr><td colspan="6" class="muted">No rewards.</td></tr>` : ""}</tbody></table></div>`,
      ),
    );
  });

  for (const verb of ["activate", "deactivate"] as const) {
    const active = verb === "activate";
    app.get(`/rewards/:id/${verb}`, async (c) => {
      const session = c.var.session;
      const reward = serializeReward(await getReward(deps.db, session.scope, c.req.param("id")));
      return c.html(
        page(
          { title: `Confirm: ${verb}`, session, nav: "rewards" },
          html`<h1>Confirm: ${verb} reward</h1><p>${reward.name} (<code>${reward.id}</code>) is ${reward.active ? "active" : "inactive"}; members ${active ? "will be able to" : "will no longer be able to"} redeem it.</p>
<form method="post" action="/console/rewards/${reward.id}/${verb}">${csrfField(session)}<input type="hidden" name="idempotency_key" value="${newFormKey()}"><button type="submit">${verb}</button> <a href="/console/rewards">Cancel</a></form>`,
        ),
      );
    });
    app.post(`/rewards/:id/${verb}`, async (c) => {
      const session = c.var.session;
      const reward = await getReward(deps.db, session.scope, c.req.param("id"));
      const key = c.var.form.idempotency_key ?? "";
      if (!FORM_KEY.test(key)) return c.redirect(`/console/rewards/${reward.id}/${verb}`, 303);
      // The API's PATCH: same body, same domain update, same idempotency.
      c.set("body", { active });
      const response = await runInline(asApiContext(c), deps, async (trx) => ({ status: 200, body: await updateReward(trx, session.scope, reward.id, { active }) }), { idempotencyKey: key });
      const body = JSON.parse(await response.text()) as { error?: { code: string } };
      await recordAction(deps.db, session, { action: `reward.${verb}`, target: reward.id, outcome: response.status === 200 ? "succeeded" : (body.error?.code ?? `http_${response.status}`) });
      if (response.status !== 200) return c.html(page({ title: "Refused", session, nav: "rewards", error: describeRefusal(response.status, body) }, html`<p><a href="/console/rewards">Rewards</a></p>`), response.status as 400);
      return c.redirect("/console/rewards?done=1", 303);
    });
  }

  app.get("/activity", async (c) => {
    const session = c.var.session;
    const beforeRaw = Number(c.req.query("before"));
    const before = Number.isSafeInteger(beforeRaw) && beforeRaw > 0 ? beforeRaw : undefined;
    const { rows, hasMore } = await listActions(deps.db, session.scope, { limit: ACTIVITY_PAGE_SIZE, before });
    const last = rows[rows.length - 1];
    return c.html(
      page(
        { title: "Activity", session, nav: "activity" },
        html`<h1>Activity</h1><p class="muted">Every action taken in the console, in this mode, by any key of this merchant.</p>
<div class="scroll"><table>
<thead><tr><th scope="col">When</th><th scope="col">Action</th><th scope="col">Target</th><th scope="col">Outcome</th><th scope="col">Key</th><th scope="col">Details</th></tr></thead>
<tbody data-testid="activity">${rows.map(
          (a) => html`<tr data-id="${a.id}"><td>${when(a.created_at)}</td><td>${a.action}</td><td>${a.target ? html`<code>${a.target}</code>` : ""}</td><td>${status(a.outcome)}</td><td>…${a.key_last4}</td><td class="mono">${JSON.stringify(a.detail)}</td></tr>`,
        )}
${rows.length === 0 ? html`<tr><td colspan="6" class="muted">Nothing yet.</td></tr>` : ""}</tbody></table></div>
<p>${before ? html`<a href="/console/activity">Newest</a>` : ""}${before && hasMore && last ? " · " : ""}${hasMore && last ? html`<a href="/console/activity${query({ before: last.seq })}">Older</a>` : ""}</p>`,
      ),
    );
  });
}
