import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";

export interface Received {
  body: string;
  headers: IncomingHttpHeaders;
  at: number;
  /** Which of the receiver's secrets verified the delivery with the standardwebhooks package. */
  verifiedWith: string[];
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  delayMs?: number;
}

/**
 * A merchant's webhook receiver on 127.0.0.1: records every delivery and verifies it as a merchant
 * would, `new Webhook(secret).verify(body, headers)` from the standardwebhooks package.
 */
export class Receiver {
  readonly received: Received[] = [];
  secrets: string[] = [];
  reply: (request: Received, index: number) => Reply = () => ({ status: 200 });
  private server!: Server;
  /** Requests being handled right now (a slow receiver is "busy" while this is > 0). */
  inFlight = 0;

  static async start(): Promise<Receiver> {
    const receiver = new Receiver();
    receiver.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        receiver.inFlight++;
        const body = Buffer.concat(chunks).toString("utf8");
        const entry: Received = { body, headers: req.headers, at: Date.now(), verifiedWith: [] };
        for (const secret of receiver.secrets) {
          try {
            new Webhook(secret).verify(body, req.headers as Record<string, string>);
            entry.verifiedWith.push(secret);
          } catch {
            // not this secret
          }
        }
        const index = receiver.received.length;
        receiver.received.push(entry);
        const reply = receiver.reply(entry, index);
        setTimeout(() => {
          receiver.inFlight--;
          res.writeHead(reply.status, reply.headers ?? {});
          res.end("ok");
        }, reply.delayMs ?? 0);
      });
    });
    await new Promise<void>((resolve) => receiver.server.listen(0, "127.0.0.1", resolve));
    return receiver;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  url(host = "127.0.0.1", path = "/hooks"): string {
    return `http://${host}:${this.port}${path}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Polls until `check` is true or the (generous) deadline passes; returns the last value of check. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 15_000, stepMs = 25): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, stepMs));
  }
}
