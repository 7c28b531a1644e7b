import { html } from "hono/html";
import type { Hono } from "hono";
import { getAccount, listAccounts, serializeAccount } from "../../../domain/accounts/accounts.js";
import { listPointsTransactions } from "../../../domain/ledger/ledger.js";
import { listRedemptions } from "../../../domain/redemptions/queries.js";
import type { AppDeps } from "../../env.js";
import type { ConsoleEnv } from "../context.js";
import { fromUnix, page, query, status, when } from "../layout.js";
import { redemptionRows } from "./redemptions.js";

const cursor = (value: string | undefined) => (value && /^[A-Za-z0-9_]{1,64}$/.test(value) ? value : undefined);

export function registerMembers(app: Hono<ConsoleEnv>, deps: AppDeps): void {
  app.get("/members", async (c) => {
    const session = c.var.session;
    const q = (c.req.query("q") ?? "").trim().slice(0, 200);
    let results: ReturnType<typeof serializeAccount>[] = [];
    if (q.startsWith("loy_")) {
      return c.redirect(`/console/members/${encodeURIComponent(q)}`, 303);
    } else if (q) {
      results = (await listAccounts(deps.db, session.scope, { limit: 20, customer: q })).data;
    }
    const recent = q ? null : (await listAccounts(deps.db, session.scope, { limit: 10 })).data;
    return c.html(
      page(
        { title: "Members", session, nav: "members" },
        html`<h1>Members</h1>
<form method="get" action="/console/members" class="filters" role="search">
  <div><label for="q">Account id (loy_…) or customer</label><input id="q" name="q" value="${q}" size="36"></div>
  <button type="submit">Find</button>
</form>
${q ? html`<h2>Accounts of customer “${q}”</h2>${accountTable(results)}` : html`<h2>Newest accounts</h2>${accountTable(recent ?? [])}`}`,
      ),
    );
  });

  app.get("/members/:id", async (c) => {
    const session = c.var.session;
    const id = c.req.param("id");
    const account = serializeAccount(await getAccount(deps.db, session.scope, id));
    const ledgerAfter = cursor(c.req.query("ledger_after"));
    const ledger = await listPointsTransactions(deps.db, session.scope, { limit: 20, account: account.id, starting_after: ledgerAfter });
    const redemptionsAfter = cursor(c.req.query("redemptions_after"));
    const redemptions = await listRedemptions(deps.db, session.scope, { limit: 10, account: account.id, starting_after: redemptionsAfter });
    return c.html(
      page(
        { title: `Member ${account.id}`, session, nav: "members" },
        html`<h1>Member <code>${account.id}</code></h1>
<div class="grid">
  <div class="card"><div class="muted">Balance</div><div style="font-size:1.6rem;font-weight:700" data-testid="balance">${account.balance}</div></div>
  <div class="card"><div class="muted">Lifetime points</div><div style="font-size:1.6rem;font-weight:700">${account.lifetime_points}</div></div>
  <div class="card"><div class="muted">Status</div><div style="font-size:1.3rem">${status(account.status)}</div><div class="muted">customer ${account.customer ?? "—"} · since ${when(fromUnix(account.created))}</div></div>
</div>
<h2 id="ledger">Ledger</h2>
<div class="scroll"><table>
<thead><tr><th scope="col">When</th><th scope="col">Type</th><th scope="col">Amount</th><th scope="col">Balance after</th><th scope="col">Reason</th><th scope="col">Redemption</th></tr></thead>
<tbody>${ledger.data.map(
          (row) => html`<tr><td>${when(fromUnix(row.created))}</td><td>${row.type}</td><td>${row.amount > 0 ? `+${row.amount}` : String(row.amount)}</td><td>${row.balance_after}</td><td>${row.reason ?? ""}</td><td>${row.redemption ? html`<a href="/console/redemptions/${row.redemption}"><code>${row.redemption}</code></a>` : ""}</td></tr>`,
        )}
${ledger.data.length === 0 ? html`<tr><td colspan="6" class="muted">No ledger entries.</td></tr>` : ""}</tbody></table></div>
<p>${ledgerAfter ? html`<a href="/console/members/${account.id}#ledger">Newest</a> · ` : ""}${ledger.next_cursor ? html`<a href="/console/members/${account.id}${query({ ledger_after: ledger.next_cursor, redemptions_after: redemptionsAfter })}#ledger">Older entries</a>` : ""}</p>
<h2 id="redemptions">Redemptions</h2>
${redemptionRows(redemptions.data)}
<p>${redemptions.next_cursor ? html`<a href="/console/members/${account.id}${query({ redemptions_after: redemptions.next_cursor, ledger_after: ledgerAfter })}#redemptions">Older redemptions</a>` : ""}</p>`,
      ),
    );
  });
}

function accountTable(rows: ReturnType<typeof serializeAccount>[]) {
  if (rows.length === 0) return html`<p class="muted">No accounts found.</p>`;
  return html`<div class="scroll"><table>
<thead><tr><th scope="col">Account</th><th scope="col">Customer</th><th scope="col">Balance</th><th scope="col">Status</th><th scope="col">Created</th></tr></thead>
<tbody>${rows.map((row) => html`<tr><td><a href="/console/members/${row.id}"><code>${row.id}</code></a></td><td>${row.customer ?? "—"}</td><td>${row.balance}</td><td>${status(row.status)}</td><td>${when(fromUnix(row.created))}</td></tr>`)}</tbody></table></div>`;
}
