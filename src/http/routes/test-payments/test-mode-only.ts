import { ApiError } from "../../../errors.js";
import type { RegisterRoute } from "../../router.js";

/**
 * The sandbox does not exist for live keys (docs/api.md §7): answered exactly like an unknown URL, before
 * any validation, so a live integration cannot tell it is there, let alone create a payment that moves
 * live redemptions. Registered ahead of the sandbox routes (after authentication).
 */
export const registerTestModeOnly: RegisterRoute = (app) =>
  app.use("/v1/test/*", async (c, next) => {
    if (c.var.scope.livemode) throw new ApiError("resource_missing", `Unrecognized request URL (${c.req.method} ${c.req.path}).`);
    await next();
  });
