import { getConnInfo } from "@hono/node-server/conninfo";
import type { Context, MiddlewareHandler } from "hono";
import { getCookie, setCookie, deleteCookie } from "hono/cookie";
import { html } from "hono/html";
import { closeSession, csrfMatches, findSession, openSession, recordAction, CONSOLE_SESSION_TTL_MS } from "../../domain/console/sessions.js";
import { hashApiKey } from "../../domain/merchants/merchants.js";
import { isApiError } from "../../errors.js";
import type { AppDeps } from "../env.js";
import { clientAddress, type RateLimits } from "../rate-limits.js";
import type { ConsoleEnv } from "./context.js";
import { page } from "./layout.js";
import type { Hono } from "hono";

export const COOKIE = "lr_console";
const KEY_FORMAT = /^sk_(test|live)_[A-Za-z0-9]{16,128}$/;

const socketAddress = (c: Context): string | undefined => {
  try {
    return getConnInfo(c).remote.address;
  } catch {
    return undefined;
  }
};

/** https itself, or (behind TRUST_PROXY) the proxy said the client came over https. */
export function isHttps(c: Context, trustProxy: number): boolean {
  if (new URL(c.req.url).protocol === "https:") return true;
  if (trustProxy === 0) return false;
  const forwarded = (c.req.header("x-forwarded-proto") ?? "").split(",").map((part) => part.trim().toLowerCase());
  return forwarded[0] === "https";
}

/** No caching, no framing, no scripts, no third parties; forms only to ourselves. */
export const securityHeaders: MiddlewareHandler<ConsoleEnv> = async (c, next) => {
  await next();
  c.header("Cache-Control", "no-store");
  c.header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
  c.header("X-Frame-Options", "DENY");
  c.header("X-Content-Type-Options", "nosniff");
  c.header("Referrer-Policy", "no-referrer");
};

const signInPage = (error: string | null = null) =>
  page(
    { title: "Sign in", error },
    html`<h1>Sign in</h1>
<div class="card">
<form method="post" action="/console/sign-in" autocomplete="off">
  <label for="key">Secret key (sk_test_… or sk_live_…)</label>
  <input id="key" name="key" type="password" required autocomplete="off" spellcheck="false" size="48">
  <p class="muted">The key is exchanged for a session of at most 8 hours; it is not kept by the console or your browser.</p>
  <button type="submit">Sign in</button>
</form>
</div>`,
  );

/**
 * Sign-in, sign-out and the guard of every other console page: a session cookie (HttpOnly,
 * SameSite=Strict, Secure over https, Path=/console), and on every POST the session's CSRF token.
 */
export function registerConsoleAuth(app: Hono<ConsoleEnv>, deps: AppDeps, limits: RateLimits): void {
  const trustProxy = deps.config.TRUST_PROXY;

  app.get("/sign-in", async (c) => {
    const token = getCookie(c, COOKIE);
    if (token && (await findSession(deps.db, token))) return c.redirect("/console", 303);
    return c.html(signInPage());
  });

  app.post("/sign-in", async (c) => {
    const form = await c.req.parseBody();
    const key = typeof form.key === "string" ? form.key.trim() : "";
    const keyHash = KEY_FORMAT.test(key) ? hashApiKey(key) : null;
    const found = keyHash ? await deps.keys.lookup(keyHash) : null;
    if (!found || !keyHash) {
      // The API's failed-auth budget per client address: guessing keys here costs the same as there.
      try {
        await limits.enforce(c, limits.authFailures, clientAddress(c, trustProxy, socketAddress));
      } catch (error) {
        if (isApiError(error) && error.code === "rate_limited") {
          if (error.retryAfter) c.header("Retry-After", String(error.retryAfter));
          return c.html(signInPage("Too many failed sign-ins from this address; wait a few seconds and try again."), 429);
        }
        throw error;
      }
      return c.html(signInPage("That key was not accepted (unknown, revoked or expired)."), 401);
    }
    const { token, session } = await openSession(deps.db, found.scope, { hash: keyHash, last4: key.slice(-4) });
    await recordAction(deps.db, session, { action: "session.sign_in", target: null, outcome: "succeeded" });
    setCookie(c, COOKIE, token, {
      path: "/console",
      httpOnly: true,
      sameSite: "Strict",
      secure: isHttps(c, trustProxy),
      maxAge: Math.floor(CONSOLE_SESSION_TTL_MS / 1000),
    });
    return c.redirect("/console", 303);
  });

  // Everything below needs a session; every POST needs its CSRF token.
  app.use("*", async (c, next) => {
    const token = getCookie(c, COOKIE);
    const session = token ? await findSession(deps.db, token) : null;
    if (!session) {
      if (token) deleteCookie(c, COOKIE, { path: "/console" });
      if (c.req.method === "GET" || c.req.method === "HEAD") return c.redirect("/console/sign-in", 303);
      return c.html(page({ title: "Signed out", error: "Your session has ended. Sign in again." }, html`<p><a href="/console/sign-in">Sign in</a></p>`), 401);
    }
    c.set("session", session);
    c.set("scope", session.scope);
    if (c.req.method === "POST") {
      const body = await c.req.parseBody();
      if (!csrfMatches(session, body._csrf)) {
        return c.html(page({ title: "Refused", session, error: "This form could not be verified (missing or wrong CSRF token); nothing was changed. Reload the page and try again." }, html``), 403);
      }
      const form: Record<string, string> = {};
      for (const [name, value] of Object.entries(body)) if (typeof value === "string" && name !== "_csrf") form[name] = value;
      c.set("form", form);
    }
    await next();
  });

  app.post("/sign-out", async (c) => {
    const session = c.var.session;
    await recordAction(deps.db, session, { action: "session.sign_out", target: null, outcome: "succeeded" });
    await closeSession(deps.db, session.id);
    deleteCookie(c, COOKIE, { path: "/console", secure: isHttps(c, trustProxy) });
    return c.redirect("/console/sign-in", 303);
  });
}
