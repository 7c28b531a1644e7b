import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import type { LookupFunction } from "node:net";
import ipaddr from "ipaddr.js";

/**
 * Keeps outbound webhooks away from our own network: loopback, private (RFC 1918, IPv6 ULA), link-local
 * (which holds cloud metadata at 169.254.169.254), CGNAT, multicast, reserved and the IPv6 forms that
 * embed an IPv4 address. Only globally routable unicast passes, unless WEBHOOK_ALLOW_HOSTS exempts the
 * host name or the address. Checked at registration and again on the address actually connected to,
 * so a name that later resolves elsewhere (DNS rebinding) is still refused.
 */

export const SSRF_BLOCKED = "ESSRFBLOCKED";

export interface AllowList {
  hosts: Set<string>;
  ranges: [ipaddr.IPv4 | ipaddr.IPv6, number][];
}

export function parseAllowList(entries: readonly string[]): AllowList {
  const allow: AllowList = { hosts: new Set(), ranges: [] };
  for (const raw of entries) {
    const entry = raw.trim().toLowerCase().replace(/^\[(.*)\]$/, "$1");
    if (ipaddr.isValidCIDR(entry)) allow.ranges.push(ipaddr.parseCIDR(entry));
    else if (ipaddr.isValid(entry)) {
      const address = ipaddr.process(entry);
      allow.ranges.push([address, address.kind() === "ipv4" ? 32 : 128]);
    } else allow.hosts.add(entry);
  }
  return allow;
}

/** URL hostnames keep IPv6 brackets; allow-list entries and addresses don't. */
export const bareHost = (hostname: string) => hostname.toLowerCase().replace(/^\[(.*)\]$/, "$1");

export const isIpLiteral = (hostname: string) => ipaddr.isValid(bareHost(hostname));

export function isHostAllowListed(hostname: string, allow: AllowList): boolean {
  return allow.hosts.has(bareHost(hostname));
}

/** True when the address may be connected to. `process` turns ::ffff:a.b.c.d into a.b.c.d first. */
export function isAddressAllowed(address: string, allow: AllowList): boolean {
  if (!ipaddr.isValid(bareHost(address))) return false;
  const parsed = ipaddr.process(bareHost(address));
  for (const [range, bits] of allow.ranges) {
    if (range.kind() === parsed.kind() && parsed.match(range, bits)) return true;
  }
  return parsed.range() === "unicast";
}

export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

export const systemResolver: Resolver = (hostname) =>
  new Promise((resolve, reject) => dnsLookup(hostname, { all: true, verbatim: true }, (error, addresses) => (error ? reject(error) : resolve(addresses))));

export class SsrfBlockedError extends Error {
  readonly code = SSRF_BLOCKED;
  constructor(hostname: string) {
    super(`refused to connect to ${hostname}: private, loopback, link-local or reserved address`);
  }
}

/**
 * A `net.connect` lookup that resolves, then keeps only permitted addresses, so the socket can only
 * ever open to one of them. Serves both call shapes (`all: true` is used by autoSelectFamily).
 */
export function guardedLookup(allow: AllowList, resolve: Resolver = systemResolver): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname).then(
      (addresses) => {
        const family = options.family === 4 || options.family === 6 ? options.family : null;
        const permitted = addresses.filter(
          (entry) => (family === null || entry.family === family) && (isHostAllowListed(hostname, allow) || isAddressAllowed(entry.address, allow)),
        );
        const first = permitted[0];
        if (!first) return callback(new SsrfBlockedError(hostname), "", 0);
        if (options.all) return (callback as unknown as (error: null, addresses: LookupAddress[]) => void)(null, permitted);
        callback(null, first.address, first.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, "", 0),
    );
  };
}

export type UrlCheck = { ok: true } | { ok: false; reason: string };

/**
 * Registration-time check of an endpoint URL. A name that does not resolve now is accepted (it may be
 * set up after the endpoint); the connect-time guard still applies to whatever it resolves to later.
 */
export async function checkEndpointUrl(url: string, allow: AllowList, resolve: Resolver = systemResolver): Promise<UrlCheck> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, reason: "must be an absolute http(s) URL" };
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") return { ok: false, reason: "must use http or https" };
  if (parsed.username || parsed.password) return { ok: false, reason: "must not contain credentials" };
  if (parsed.hash) return { ok: false, reason: "must not contain a fragment" };
  const host = parsed.hostname;
  if (isHostAllowListed(host, allow)) return { ok: true };
  if (isIpLiteral(host)) return isAddressAllowed(host, allow) ? { ok: true } : { ok: false, reason: blockedReason(host) };
  let addresses: LookupAddress[];
  try {
    addresses = await resolve(host);
  } catch {
    return { ok: true };
  }
  const blocked = addresses.find((entry) => !isAddressAllowed(entry.address, allow));
  return blocked ? { ok: false, reason: blockedReason(`${host} (${blocked.address})`) } : { ok: true };
}

const blockedReason = (target: string) => `must not target a private, loopback, link-local or reserved address: ${target}`;
