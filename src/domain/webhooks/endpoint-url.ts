import { ApiError } from "../../errors.js";
import { checkEndpointUrl, parseAllowList, type Resolver } from "../../webhooks/ssrf-guard.js";

/**
 * Registration-time refusal of URLs we would never deliver to (spec §6): 400 `parameter_invalid` on
 * `url`. Run before the request's transaction: it may resolve DNS, which must not hold a transaction.
 */
export async function assertDeliverableUrl(url: string, allowHosts: readonly string[], resolve?: Resolver): Promise<void> {
  const check = await checkEndpointUrl(url, parseAllowList(allowHosts), resolve);
  if (!check.ok) throw new ApiError("parameter_invalid", `Invalid url: ${check.reason}.`, "url");
}
