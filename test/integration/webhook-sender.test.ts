import { afterAll, beforeAll, expect, test } from "vitest";
import { createServer } from "node:net";
import { createWebhookDispatcher, sendWebhook } from "../../src/webhooks/sender.js";
import { parseAllowList, type Resolver } from "../../src/webhooks/ssrf-guard.js";
import { Receiver } from "../helpers/receiver.js";

// Only loopback traffic: refusals happen before any socket is opened.
let rx: Receiver;
beforeAll(async () => {
  rx = await Receiver.start();
});
afterAll(async () => rx?.close());

const send = (allowHosts: string[], url: string, timeoutMs = 2_000, resolve?: Resolver) => {
  const allow = parseAllowList(allowHosts);
  const dispatcher = createWebhookDispatcher(allow, timeoutMs, resolve);
  return sendWebhook(dispatcher, allow, { url, headers: { "webhook-id": "evt_1" }, body: "{}", timeoutMs }).finally(() => dispatcher.close());
};

test("without the allow-list, loopback targets are refused before connecting: literal, mapped and by name", async () => {
  for (const url of [rx.url("127.0.0.1"), `http://[::ffff:127.0.0.1]:${rx.port}/`, `http://[::1]:${rx.port}/`, rx.url("localhost")]) {
    const result = await send([], url);
    expect(result, url).toMatchObject({ ok: false, statusCode: null, error: "ssrf_blocked" });
  }
  expect(rx.received).toHaveLength(0);
});

test("allow-listed, the same receiver is reached, by address and by name", async () => {
  expect(await send(["127.0.0.1"], rx.url("127.0.0.1"))).toMatchObject({ ok: true, statusCode: 200, error: null });
  expect(await send(["localhost"], rx.url("localhost"))).toMatchObject({ ok: true, statusCode: 200, error: null });
  expect(rx.received).toHaveLength(2);
});

test("failures are classified, never thrown: timeout, connect, dns", async () => {
  rx.reply = () => ({ status: 200, delayMs: 1_000 });
  expect(await send(["127.0.0.1"], rx.url("127.0.0.1"), 200)).toMatchObject({ ok: false, error: "timeout", statusCode: null });
  rx.reply = () => ({ status: 200 });

  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
  const port = (closed.address() as { port: number }).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  expect(await send(["127.0.0.1"], `http://127.0.0.1:${port}/`)).toMatchObject({ ok: false, error: "connect" });

  const nxdomain: Resolver = async (hostname) => {
    throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" });
  };
  expect(await send([], "http://no-such-host.test/", 2_000, nxdomain)).toMatchObject({ ok: false, error: "dns" });
});

test("IP literals in any spelling are refused before any socket: hex, decimal, octal, IPv4-compatible, mapped, 0.0.0.0", async () => {
  const before = rx.received.length;
  const urls = [
    `http://0x7f.1:${rx.port}/`,
    `http://2130706433:${rx.port}/`,
    `http://0177.0.0.1:${rx.port}/`,
    `http://127.0.0.1.:${rx.port}/`,
    `http://0.0.0.0:${rx.port}/`,
    `http://[::127.0.0.1]:${rx.port}/`,
    `http://[::7f00:1]:${rx.port}/`,
    `http://[0:0:0:0:0:ffff:7f00:1]:${rx.port}/`,
    `http://[64:ff9b::7f00:1]:${rx.port}/`,
  ];
  for (const url of urls) expect(await send([], url), url).toMatchObject({ ok: false, statusCode: null, error: "ssrf_blocked" });
  expect(rx.received).toHaveLength(before);
});

test("a DNS answer naming a forbidden address is refused at connect time, whatever its form; an allow-listed CIDR is reached", async () => {
  const before = rx.received.length;
  let answer: string[] = [];
  const resolver: Resolver = async () => answer.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
  const forbidden = [["127.0.0.1"], ["0.0.0.0"], ["::7f00:1"], ["::127.0.0.1"], ["::ffff:7f00:1"], ["64:ff9b::7f00:1"], ["2002:7f00:1::"], ["169.254.169.254"], ["198.18.0.1"], ["::1", "127.0.0.1"]];
  for (const addresses of forbidden) {
    answer = addresses;
    const result = await send([], `http://rebind.test:${rx.port}/`, 2_000, resolver);
    expect(result, addresses.join(",")).toMatchObject({ ok: false, statusCode: null, error: "ssrf_blocked" });
  }
  expect(rx.received).toHaveLength(before);
  answer = ["127.0.0.1"];
  expect(await send(["127.0.0.0/8"], `http://rebind.test:${rx.port}/`, 2_000, resolver)).toMatchObject({ ok: true, statusCode: 200 });
  expect(rx.received).toHaveLength(before + 1);
});
