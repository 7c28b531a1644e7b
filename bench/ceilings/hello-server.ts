/**
 * Ceiling helper process: `node hello-server.js hono <port>` serves a Hono hello-world JSON POST through
 * @hono/node-server (the service's stack minus the service); `raw <port>` is a bare node:http receiver
 * answering 200 to anything (the outbound-delivery receiver's stack). Loopback only.
 */
import { createServer } from "node:http";
import { serve } from "@hono/node-server";
import { Hono } from "hono";

const [mode, portText] = process.argv.slice(2);
const port = Number(portText);
if (mode === "hono") {
  const app = new Hono();
  app.post("/hello", async (c) => {
    const body = await c.req.json<Record<string, unknown>>();
    return c.json({ hello: "world", echo: body }, 201);
  });
  serve({ fetch: app.fetch, port, hostname: "127.0.0.1" }, () => console.log("ready"));
} else {
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => res.writeHead(200).end());
  });
  server.listen(port, "127.0.0.1", () => console.log("ready"));
}
process.on("SIGTERM", () => process.exit(0));
