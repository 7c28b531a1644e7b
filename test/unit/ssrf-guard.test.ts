import type { LookupAddress } from "node:dns";
import { describe, expect, test } from "vitest";
import { checkEndpointUrl, guardedLookup, isAddressAllowed, parseAllowList, refusalReason, SSRF_BLOCKED, type Resolver } from "../../src/webhooks/ssrf-guard.js";

const none = parseAllowList([]);

/** Every form and its verdict with the allow-list empty: `true` = may be connected to. */
const ADDRESSES: [string, boolean][] = [
  // IPv4: public
  ["93.184.216.34", true], ["8.8.8.8", true], ["1.1.1.1", true], ["100.63.255.255", true], ["100.128.0.1", true],
  ["172.15.255.255", true], ["172.32.0.1", true], ["192.167.255.255", true], ["192.169.0.1", true], ["198.17.255.255", true],
  ["198.20.0.1", true], ["223.255.255.254", true], ["11.0.0.1", true],
  // IPv4: this network, private, CGNAT, loopback, link-local
  ["0.0.0.0", false], ["0.1.2.3", false], ["10.0.0.1", false], ["10.255.255.255", false], ["172.16.0.1", false],
  ["172.31.255.255", false], ["192.168.0.1", false], ["192.168.255.255", false], ["100.64.0.1", false], ["100.127.255.254", false],
  ["127.0.0.1", false], ["127.8.9.10", false], ["127.255.255.255", false], ["169.254.169.254", false], ["169.254.0.1", false],
  // IPv4: special-purpose, benchmarking, documentation, multicast, reserved, broadcast
  ["192.0.0.1", false], ["192.0.0.170", false], ["192.0.2.1", false], ["192.88.99.1", false], ["198.18.0.1", false],
  ["198.19.255.255", false], ["198.51.100.7", false], ["203.0.113.9", false], ["224.0.0.1", false], ["239.255.255.250", false],
  ["240.0.0.1", false], ["255.255.255.254", false], ["255.255.255.255", false],
  // IPv6: global unicast
  ["2606:4700:4700::1111", true], ["2a00:1450:4001:82a::200e", true], ["2001:4860:4860::8888", true], ["2400:cb00::1", true],
  // IPv6: unspecified, loopback, IPv4-compatible ::/96 (the reported bypass), whatever it embeds
  ["::", false], ["::1", false], ["::127.0.0.1", false], ["::7f00:1", false], ["::169.254.169.254", false], ["::a9fe:a9fe", false],
  ["::8.8.8.8", false], ["::10.0.0.1", false], ["0:0:0:0:0:0:0:1", false],
  // IPv6: IPv4-mapped, judged as the IPv4 it carries
  ["::ffff:127.0.0.1", false], ["::ffff:7f00:1", false], ["0:0:0:0:0:ffff:7f00:1", false], ["::ffff:10.0.0.1", false],
  ["::ffff:169.254.169.254", false], ["::ffff:a9fe:a9fe", false], ["::ffff:100.64.0.1", false], ["::ffff:0.0.0.0", false],
  ["::ffff:93.184.216.34", true], ["::ffff:808:808", true],
  // IPv4-translated (RFC 6145) ::ffff:0:0:0/96: outside 2000::/3
  ["::ffff:0:7f00:1", false], ["::ffff:0:808:808", false],
  // NAT64 well-known prefix: judged as the embedded IPv4; the local-use prefix is refused outright
  ["64:ff9b::7f00:1", false], ["64:ff9b::127.0.0.1", false], ["64:ff9b::a00:1", false], ["64:ff9b::a9fe:a9fe", false],
  ["64:ff9b::808:808", true], ["64:ff9b::93.184.216.34", true], ["64:ff9b:1::808:808", false], ["64:ff9b:1::7f00:1", false],
  // 6to4: judged as the embedded IPv4
  ["2002:7f00:1::", false], ["2002:a00:1::", false], ["2002:a9fe:a9fe::1", false], ["2002:c0a8:101::1", false],
  ["2002:808:808::1", true],
  // Teredo, benchmarking, ORCHID, ORCHIDv2, AMT and the rest of 2001::/23
  ["2001::1", false], ["2001:0:4136:e378:8000:63bf:3fff:fdd2", false], ["2001:2::1", false], ["2001:10::1", false],
  ["2001:20::1", false], ["2001:3::1", false], ["2001:1ff::1", false],
  // documentation
  ["2001:db8::1", false], ["2001:db8:ffff::1", false], ["3fff::1", false],
  // outside 2000::/3: discard, ULA, link-local, site-local, multicast, unassigned
  ["100::1", false], ["100::ffff:1", false], ["fc00::1", false], ["fd00:ec2::254", false], ["fdff::1", false], ["fe80::1", false],
  ["febf::1", false], ["fec0::1", false], ["feff::1", false], ["ff02::1", false], ["ff05::1:3", false], ["4000::1", false],
  ["1fff::1", false], ["e000::1", false],
  // zoned link-local, bracketed forms, garbage
  ["fe80::1%eth0", false], ["[::1]", false], ["[2606:4700:4700::1111]", true], ["not-an-ip", false], ["", false],
];

describe("isAddressAllowed", () => {
  test.each(ADDRESSES)("%s → allowed: %s", (address, allowed) => {
    expect(isAddressAllowed(address, none)).toBe(allowed);
    expect(refusalReason(address) === null).toBe(allowed);
  });

  test("the allow-list exempts single addresses and CIDRs, in either IPv6 spelling", () => {
    const allow = parseAllowList(["127.0.0.1", "10.1.0.0/16", "[::1]", "localhost"]);
    expect(isAddressAllowed("127.0.0.1", allow)).toBe(true);
    expect(isAddressAllowed("::ffff:127.0.0.1", allow)).toBe(true);
    expect(isAddressAllowed("10.1.200.3", allow)).toBe(true);
    expect(isAddressAllowed("10.2.0.1", allow)).toBe(false);
    expect(isAddressAllowed("::1", allow)).toBe(true);
    expect(isAddressAllowed("127.0.0.2", allow)).toBe(false);
    expect(allow.hosts.has("localhost")).toBe(true);
  });
});

const fixed = (answers: Record<string, string[]>): Resolver => async (hostname) => {
  const addresses = answers[hostname];
  if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" });
  return addresses.map((address): LookupAddress => ({ address, family: address.includes(":") ? 6 : 4 }));
};

function lookupOnce(lookup: ReturnType<typeof guardedLookup>, hostname: string, all: boolean) {
  return new Promise<{ error: NodeJS.ErrnoException | null; result: unknown }>((resolve) =>
    lookup(hostname, { all } as never, ((error: NodeJS.ErrnoException | null, result: unknown) => resolve({ error, result })) as never),
  );
}

describe("guardedLookup (connect time)", () => {
  test("a name that passed registration but now resolves to a private address is refused before connecting", async () => {
    let answer = ["93.184.216.34"];
    const resolver: Resolver = async () => answer.map((address) => ({ address, family: 4 }));
    expect(await checkEndpointUrl("https://hooks.example.test/x", none, resolver)).toEqual({ ok: true });
    answer = ["10.0.0.7"];
    const lookup = guardedLookup(none, resolver);
    for (const all of [false, true]) {
      const { error } = await lookupOnce(lookup, "hooks.example.test", all);
      expect(error?.code).toBe(SSRF_BLOCKED);
    }
  });

  test("only permitted addresses are handed to the socket", async () => {
    const lookup = guardedLookup(none, fixed({ "mixed.example.test": ["10.0.0.1", "93.184.216.34", "::1"] }));
    expect((await lookupOnce(lookup, "mixed.example.test", true)).result).toEqual([{ address: "93.184.216.34", family: 4 }]);
    expect((await lookupOnce(lookup, "mixed.example.test", false)).result).toBe("93.184.216.34");
  });

  test("an allow-listed name may resolve to a private address; DNS errors pass through", async () => {
    const lookup = guardedLookup(parseAllowList(["internal.test"]), fixed({ "internal.test": ["10.0.0.9"] }));
    expect((await lookupOnce(lookup, "internal.test", false)).result).toBe("10.0.0.9");
    expect((await lookupOnce(lookup, "missing.test", false)).error?.code).toBe("ENOTFOUND");
  });
});

describe("checkEndpointUrl (registration time)", () => {
  test("names are resolved and refused when any address is private", async () => {
    const resolver = fixed({ "evil.test": ["93.184.216.34", "169.254.169.254"], "good.test": ["93.184.216.34"] });
    expect((await checkEndpointUrl("https://evil.test/", none, resolver)).ok).toBe(false);
    expect((await checkEndpointUrl("https://good.test/", none, resolver)).ok).toBe(true);
    // Not resolvable yet: accepted; the connect-time guard still applies.
    expect((await checkEndpointUrl("https://later.test/", none, resolver)).ok).toBe(true);
  });
});

/** Whole URLs at registration: IPv4 spellings the URL parser normalises, IPv6 forms, names. */
const URLS: [string, boolean][] = [
  ["https://93.184.216.34/hooks", true],
  ["http://[2606:4700:4700::1111]/hooks", true],
  ["https://public.test/hooks", true],
  ["https://public.test./hooks", true],
  ["https://later.test/hooks", true],
  ["http://127.0.0.1/", false],
  ["http://127.0.0.1./", false],
  ["http://0x7f.1/", false],
  ["http://0x7f000001/", false],
  ["http://2130706433/", false],
  ["http://017700000001/", false],
  ["http://0177.0.0.1/", false],
  ["http://127.1/", false],
  ["http://%31%32%37.0.0.1/", false],
  ["http://０x7f.1/", false],
  ["http://0/", false],
  ["http://0251.0376.0251.0376/latest/meta-data", false],
  ["http://2852039166/latest/meta-data", false],
  ["http://[::127.0.0.1]/", false],
  ["http://[::169.254.169.254]/", false],
  ["http://[0:0:0:0:0:ffff:7f00:1]/", false],
  ["http://[::ffff:127.0.0.1]/", false],
  ["http://[::ffff:a9fe:a9fe]/", false],
  ["http://[64:ff9b::a9fe:a9fe]/", false],
  ["http://[2002:a9fe:a9fe::]/", false],
  ["http://[2001::1]/", false],
  ["http://[::1]:8080/", false],
  ["http://[::]/", false],
  ["http://[fe80::1%25eth0]/", false],
  ["http://[fe80::1%eth0]/", false],
  ["http://[fd00:ec2::254]/", false],
  ["http://[ff02::1]/", false],
  ["http://localhost/", false],
  ["http://localhost./", false],
  ["http://LOCALHOST./", false],
  ["http://metadata.test./", false],
  ["http://unresolvable.localhost/", false],
  ["http://unresolvable.localhost./", false],
  ["http://mapped.test/", false],
  ["http://compat.test/", false],
  ["ftp://93.184.216.34/", false],
  ["https://user:pass@93.184.216.34/", false],
  ["https://93.184.216.34/#frag", false],
  ["not a url", false],
];

const names = fixed({
  "public.test": ["93.184.216.34", "2606:4700:4700::1111"],
  "public.test.": ["93.184.216.34"],
  localhost: ["127.0.0.1", "::1"],
  "localhost.": ["127.0.0.1", "::1"],
  "metadata.test.": ["169.254.169.254"],
  "mapped.test": ["93.184.216.34", "::ffff:169.254.169.254"],
  "compat.test": ["::169.254.169.254"],
});

describe("checkEndpointUrl table", () => {
  test.each(URLS)("%s → accepted: %s", async (url, accepted) => {
    expect((await checkEndpointUrl(url, none, names)).ok).toBe(accepted);
  });

  test("the same forms are refused at connect time when DNS answers them", async () => {
    for (const [address, allowed] of ADDRESSES) {
      if (!/^[0-9a-f.:]+$/i.test(address)) continue;
      const lookup = guardedLookup(none, fixed({ "rebind.test": [address] }));
      const { error, result } = await lookupOnce(lookup, "rebind.test", false);
      if (allowed) expect(result, address).toBe(address);
      else expect(error?.code, address).toBe(SSRF_BLOCKED);
    }
  });

  test("localhost names are refused at connect time even if DNS answers a public address", async () => {
    const lookup = guardedLookup(none, fixed({ "app.localhost": ["93.184.216.34"] }));
    expect((await lookupOnce(lookup, "app.localhost", false)).error?.code).toBe(SSRF_BLOCKED);
  });

  test("WEBHOOK_ALLOW_HOSTS still exempts names (with or without the trailing dot) and CIDRs", async () => {
    const allow = parseAllowList(["localhost", "10.1.0.0/16", "fd00::/8", "[::1]"]);
    expect((await checkEndpointUrl("http://localhost./", allow, names)).ok).toBe(true);
    expect((await checkEndpointUrl("http://10.1.2.3/", allow, names)).ok).toBe(true);
    expect((await checkEndpointUrl("http://[fd00:ec2::254]/", allow, names)).ok).toBe(true);
    expect((await checkEndpointUrl("http://[::1]/", allow, names)).ok).toBe(true);
    expect((await checkEndpointUrl("http://[::127.0.0.1]/", allow, names)).ok).toBe(false);
    expect((await checkEndpointUrl("http://10.2.0.1/", allow, names)).ok).toBe(false);
  });

  test("the refusal says which address and why", async () => {
    expect(await checkEndpointUrl("http://[::169.254.169.254]/", none, names)).toEqual({
      ok: false,
      reason: expect.stringMatching(/\[::a9fe:a9fe\] is .*outside global unicast/),
    });
    expect(await checkEndpointUrl("http://mapped.test/", none, names)).toEqual({
      ok: false,
      reason: expect.stringMatching(/mapped\.test \(::ffff:169\.254\.169\.254\) is IPv4-mapped form of 169\.254\.169\.254 \(link-local\)/),
    });
  });
});
