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
