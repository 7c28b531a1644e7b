import type { LookupAddress } from "node:dns";
import { describe, expect, test } from "vitest";
import { checkEndpointUrl, guardedLookup, isAddressAllowed, parseAllowList, SSRF_BLOCKED, type Resolver } from "../../src/webhooks/ssrf-guard.js";

const none = parseAllowList([]);

describe("isAddressAllowed", () => {
  test.each([
    "127.0.0.1", "127.8.9.10", "10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.0.1", "100.64.0.1", "100.127.255.254",
    "169.254.169.254", "0.0.0.0", "255.255.255.255", "224.0.0.1", "::1", "::", "::ffff:127.0.0.1", "::ffff:10.0.0.1",
    "::ffff:169.254.169.254", "fe80::1", "fc00::1", "fd00:ec2::254", "64:ff9b::a00:1", "2002:a00:1::", "ff02::1",
  ])("refuses %s", (address) => {
    expect(isAddressAllowed(address, none)).toBe(false);
  });

  test.each(["93.184.216.34", "8.8.8.8", "100.128.0.1", "172.32.0.1", "2606:4700:4700::1111", "::ffff:93.184.216.34"])("allows public %s", (address) => {
    expect(isAddressAllowed(address, none)).toBe(true);
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
