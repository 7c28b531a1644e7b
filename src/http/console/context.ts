import { randomBytes } from "node:crypto";
import type { Context } from "hono";
import { Hono } from "hono";
import type { ConsoleSession } from "../../domain/console/sessions.js";
import type { AppEnv } from "../env.js";

export interface ConsoleEnv {
  Variables: AppEnv["Variables"] & { session: ConsoleSession; form: Record<string, string> };
}
export type ConsoleContext = Context<ConsoleEnv>;
export const newConsoleApp = () => new Hono<ConsoleEnv>();

/** The same request, seen as the API's context (scope and body set), for the API's own code paths. */
export const asApiContext = (c: ConsoleContext) => c as unknown as Context<AppEnv>;

/** A fresh idempotency key for one confirmation form: resubmitting that form replays its first answer. */
export const newFormKey = () => `console_${randomBytes(18).toString("base64url")}`;

export const FORM_KEY = /^console_[A-Za-z0-9_-]{24}$/;
