import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";

export interface ReceivedEvent {
  id: string;
  type: string;
  redemption: string;
  status: string;
  version: number;
}

/**
 * The merchant's side of the demo: a webhook receiver on 127.0.0.1 that verifies every delivery with
 * the standardwebhooks package, exactly as a merchant's server would. An unverifiable request gets 400
 * and is counted, so the demo fails loudly instead of trusting it.
 */
export async function startReceiver(onEvent: (event: ReceivedEvent) => void) {
  let secret: string | null = null;
  const events: ReceivedEvent[] = [];
  let rejected = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      try {
        if (!secret) throw new Error("no secret yet");
        const payload = new Webhook(secret).verify(body, req.headers as Record<string, string>) as {
          id: string;
          type: string;
          data: { object: { id: string; status: string; version: number } };
        };
        const event = { id: payload.id, type: payload.type, redemption: payload.data.object.id, status: payload.data.object.status, version: payload.data.object.version };
        // At-least-once delivery: a repeat of an event already seen is acknowledged and not counted again.
        if (!events.some((seen) => seen.id === event.id)) {
          events.push(event);
          onEvent(event);
        }
        res.writeHead(204).end();
      } catch {
        rejected++;
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/loyalty-webhooks`,
    events,
    rejected: () => rejected,
    setSecret: (value: string) => void (secret = value),
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
