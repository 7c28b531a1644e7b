import { sql } from "kysely";
import type { Hono } from "hono";
import { pingRedis } from "../../queue/redis.js";
import type { AppDeps, AppEnv } from "../env.js";

/** `/healthz`: the process answers. `/readyz`: Postgres and Redis answer too (load balancers gate on it). */
export function registerHealth(app: Hono<AppEnv>, deps: AppDeps): void {
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", async (c) => {
    const check = async (probe: () => Promise<unknown>) =>
      Promise.race([probe().then(() => "ok" as const), new Promise<"down">((resolve) => setTimeout(() => resolve("down"), 2_000))]).catch(
        () => "down" as const,
      );
    const [postgres, redis] = await Promise.all([
      check(() => sql`SELECT 1`.execute(deps.db)),
      check(() => pingRedis(deps.redis)),
    ]);
    const ready = postgres === "ok" && redis === "ok";
    return c.json({ status: ready ? "ok" : "unavailable", postgres, redis }, ready ? 200 : 503);
  });
}
