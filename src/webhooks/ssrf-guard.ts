import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { isIPv4, isIPv6, type LookupFunction } from "node:net";
import ipaddr from "ipaddr.js";

/**
 * Keeps outbound webhooks away from our own network: loopback, private (RFC 1918, IPv6 ULA), link-local
 * (which holds cloud metadata at 169.254.169.254), CGNAT, multicast, reserved, documentation and the IPv6
 * forms that embed an IPv4 address. Only globally routable unicast passes (for IPv6: 2000::/3 minus its
 * special blocks, decided by range here, not by ipaddr.js's classification alone), unless
 * WEBHOOK_ALLOW_HOSTS exempts the host name or the address. `isTargetAllowed` is the one decision, taken
 * at registration and again on the address actually connected to, so a name that later resolves
 * elsewhere (DNS rebinding) is still refused. docs/webhooks.md#ssrf-guard lists every range.
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
    const [text = "", bits, ...rest] = entry.split("/");
    const address = rest.length === 0 ? parseAddress(text) : null;
    const max = address?.kind() === "ipv4" ? 32 : 128;
    if (address && bits === undefined) allow.ranges.push([address, max]);
    else if (address && /^\d+$/.test(bits!) && Number(bits) <= max) allow.ranges.push([address, Number(bits)]);
    else allow.hosts.add(bareHost(entry));
  }
  return allow;
}

/** URL hostnames keep IPv6 brackets; allow-list entries and addresses don't. A trailing dot (the DNS root) is dropped. */
export const bareHost = (hostname: string) => hostname.toLowerCase().replace(/^\[(.*)\]$/, "$1").replace(/(?<=[^.])\.$/, "");

/**
 * Strict parse of an address as DNS answers and URL hostnames spell it (dotted-decimal IPv4; IPv6 with an
 * optional zone), or null. Not `ipaddr.parse` alone: it reads `::a.b.c.d` (IPv4-compatible, ::/96) as
 * `::ffff:a.b.c.d` (mapped), so the dotted tail is turned into two hex groups first; and it accepts
 * inet_aton spellings (`0x7f.1`) that only the URL parser should interpret.
 */
export function parseAddress(text: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  const bare = bareHost(text);
  if (isIPv4(bare)) return ipaddr.IPv4.parse(bare);
  if (!isIPv6(bare)) return null;
  const [address = "", zone] = bare.split("%", 2);
  const hex = address.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_, a, b, c, d) =>
    `${((Number(a) << 8) | Number(b)).toString(16)}:${((Number(c) << 8) | Number(d)).toString(16)}`,
  );
  try {
    const parsed = ipaddr.IPv6.parse(hex);
    if (zone) parsed.zoneId = zone;
    return parsed;
  } catch {
    return null;
  }
}

export const isIpLiteral = (hostname: string) => parseAddress(hostname) !== null;

export function isHostAllowListed(hostname: string, allow: AllowList): boolean {
  return allow.hosts.has(bareHost(hostname));
}

type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number];
const cidrs = (entries: Record<string, string>): [Cidr, string][] => Object.entries(entries).map(([cidr, why]) => [ipaddr.parseCIDR(cidr), why]);

/**
 * IPv4 ranges that are never a merchant's receiver (IANA special-purpose registry, RFC 6890 and later).
 * Checked in addition to ipaddr.js's `range()`, which must also say `unicast`.
 */
const IPV4_REFUSED = cidrs({
  "0.0.0.0/8": "this network",
  "10.0.0.0/8": "private",
  "100.64.0.0/10": "shared address space (CGNAT)",
  "127.0.0.0/8": "loopback",
  "169.254.0.0/16": "link-local",
  "172.16.0.0/12": "private",
  "192.0.0.0/24": "IETF protocol assignments",
  "192.0.2.0/24": "documentation",
  "192.88.99.0/24": "6to4 relay anycast",
  "192.168.0.0/16": "private",
  "198.18.0.0/15": "benchmarking",
  "198.51.100.0/24": "documentation",
  "203.0.113.0/24": "documentation",
  "224.0.0.0/4": "multicast",
  "240.0.0.0/4": "reserved",
  "255.255.255.255/32": "broadcast",
});

/**
 * IPv6 is judged by allow-list of ranges: only global unicast (2000::/3) may pass, minus its special
 * blocks. Everything outside 2000::/3 is refused — ::/128, ::1, IPv4-compatible ::/96, the discard
 * prefix 100::/64, ULA fc00::/7, link-local fe80::/10, site-local fec0::/10, multicast ff00::/8 — except
 * the two forms that carry an IPv4 address the packet really goes to (mapped ::ffff:0:0/96 and NAT64
 * 64:ff9b::/96, the prefix DNS64 synthesises on IPv6-only hosts), which are judged as that IPv4 address.
 */
const IPV6_GLOBAL = ipaddr.parseCIDR("2000::/3");
const IPV6_REFUSED = cidrs({
  // Teredo (2001::/32), benchmarking (2001:2::/48), AMT, AS112, ORCHID (2001:10::/28), ORCHIDv2
  // (2001:20::/28), drone ids: the whole IETF protocol assignments block.
  "2001::/23": "IETF protocol assignments (Teredo, benchmarking, ORCHIDv2, …)",
  "2001:db8::/32": "documentation",
  "3fff::/20": "documentation",
});
const IPV6_MAPPED = ipaddr.parseCIDR("::ffff:0:0/96");
const IPV6_NAT64 = ipaddr.parseCIDR("64:ff9b::/96");
const IPV6_6TO4 = ipaddr.parseCIDR("2002::/16");

const inRange = (address: ipaddr.IPv4 | ipaddr.IPv6, [range, bits]: Cidr) => address.kind() === range.kind() && address.match(range, bits);

const lastFourBytes = (address: ipaddr.IPv6, from = 12) => new ipaddr.IPv4(address.toByteArray().slice(from, from + 4));

/**
 * Why an address may not be connected to, or null when it may: the one verdict used at registration
 * (`checkEndpointUrl`) and at connect time (`guardedLookup`, and `sendWebhook` for IP literals).
 * The allow-list is not consulted here; see `isAddressAllowed`.
 */
export function refusalReason(address: string): string | null {
  const parsed = parseAddress(address);
  if (!parsed) return "not an IP address";
  return parsed.kind() === "ipv4" ? ipv4Refusal(parsed as ipaddr.IPv4) : ipv6Refusal(parsed as ipaddr.IPv6);
}

function ipv4Refusal(address: ipaddr.IPv4): string | null {
  for (const [cidr, why] of IPV4_REFUSED) if (inRange(address, cidr)) return why;
  const range = address.range();
  return range === "unicast" ? null : range;
}

function ipv6Refusal(address: ipaddr.IPv6): string | null {
  if (address.zoneId) return "zoned (scoped) address";
  if (inRange(address, IPV6_MAPPED)) return embedded("IPv4-mapped", lastFourBytes(address));
  if (inRange(address, IPV6_NAT64)) return embedded("NAT64", lastFourBytes(address));
  if (!inRange(address, IPV6_GLOBAL)) return `${address.range()} (outside global unicast 2000::/3)`;
  // 6to4 carries the IPv4 address of the relay end in bits 16–47.
  if (inRange(address, IPV6_6TO4)) return embedded("6to4", lastFourBytes(address, 2));
  for (const [cidr, why] of IPV6_REFUSED) if (inRange(address, cidr)) return why;
  const range = address.range();
  return range === "unicast" ? null : range;
}

const embedded = (form: string, ipv4: ipaddr.IPv4) => {
  const why = ipv4Refusal(ipv4);
  return why === null ? null : `${form} form of ${ipv4.toString()} (${why})`;
};

/** True when the address may be connected to: exempted by the allow-list, or refused by nothing. */
export function isAddressAllowed(address: string, allow: AllowList): boolean {
  const parsed = parseAddress(address);
  if (!parsed) return false;
  // The allow-list matches the address as written and, for ::ffff:a.b.c.d, the IPv4 it stands for.
  const candidates = [parsed];
  if (parsed.kind() === "ipv6" && inRange(parsed, IPV6_MAPPED)) candidates.push(lastFourBytes(parsed as ipaddr.IPv6));
  if (allow.ranges.some((range) => candidates.some((candidate) => inRange(candidate, range)))) return true;
  return refusalReason(address) === null;
}

/** `localhost` and `*.localhost` are loopback by definition (RFC 6761), whatever DNS says today. */
const isLoopbackName = (hostname: string) => /(^|\.)localhost$/.test(bareHost(hostname));

/** The one decision for a connection to `address` found for `hostname` (a name, or the literal itself). */
export function isTargetAllowed(hostname: string, address: string, allow: AllowList): boolean {
  if (isHostAllowListed(hostname, allow)) return true;
  return !isLoopbackName(hostname) && isAddressAllowed(address, allow);
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
          (entry) => (family === null || entry.family === family) && isTargetAllowed(hostname, entry.address, allow),
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
  if (isIpLiteral(host)) return isTargetAllowed(host, host, allow) ? { ok: true } : { ok: false, reason: blockedReason(host, host) };
  if (isLoopbackName(host)) return { ok: false, reason: `must not target a private, loopback, link-local or reserved address: ${host} is loopback` };
  let addresses: LookupAddress[];
  try {
    addresses = await resolve(host);
  } catch {
    return { ok: true };
  }
  const blocked = addresses.find((entry) => !isTargetAllowed(host, entry.address, allow));
  return blocked ? { ok: false, reason: blockedReason(host === blocked.address ? host : `${host} (${blocked.address})`, blocked.address) } : { ok: true };
}

const blockedReason = (target: string, address: string) =>
  `must not target a private, loopback, link-local or reserved address: ${target} is ${refusalReason(address) ?? "refused"}`;
