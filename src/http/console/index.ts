import { html } from "hono/html";
import { isApiError } from "../../errors.js";
import type { AppDeps } from "../env.js";
import type { RateLimits } from "../rate-limits.js";
import type { Router } from "../router.js";
import { registerConsoleAuth, securityHeaders } from "./auth.js";
import { newConsoleApp } from "./context.js";
import { describeRefusal, page } from "./layout.js";
import { registerMembers } from "./pages/members.js";
import { registerOtherPages } from "./pages/other.js";
import { registerRedemptions } from "./pages/redemptions.js";
import { registerWebhooks } from "./pages/webhooks.js";

/**
 * The merchant console at /console: server-rendered HTML (hono/html, which escapes every value), plain
 * forms and links, no script. Signed in with a secret key exchanged for a session; every query is
 * scoped by the session's merchant and mode, through the same domain functions the API uses.
 */
export function registerConsole(app: Router, deps: AppDeps, limits: RateLimits): void {
  const consoleApp = newConsoleApp();
  consoleApp.use("*", securityHeaders);
  registerConsoleAuth(consoleApp, deps, limits);
  consoleApp.get("/", (c) => c.redirect("/console/members", 303));
  registerMembers(consoleApp, deps);
  registerRedemptions(consoleApp, deps);
  registerWebhooks(consoleApp, deps);
  registerOtherPages(consoleApp, deps);
  consoleApp.all("*", (c) => c.html(page({ title: "Not found", session: c.var.session, error: "No such page." }, html`<h1>Not found</h1><p><a href="/console">Console home</a></p>`), 404));
  consoleApp.onError((error, c) => {
    const session = c.var.session ?? null;
    if (isApiError(error) && error.status < 500) {
      const notFound = error.code === "resource_missing";
      return c.html(
        page({ title: notFound ? "Not found" : "Refused", session, error: notFound ? "Not found: nothing with that id exists here." : describeRefusal(error.status, error.body(c.var.requestId)) }, html`<h1>${notFound ? "Not found" : "Refused"}</h1><p><a href="/console">Console home</a></p>`),
        error.status as 400,
      );
    }
    c.var.logger.error({ err: error }, "console page failed");
    return c.html(page({ title: "Error", session, error: "Something went wrong; nothing more is known here. Try again." }, html`<h1>Error</h1>`), 500);
  });
  app.route("/console", consoleApp as never);
}
