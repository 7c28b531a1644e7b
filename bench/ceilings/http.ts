import { Pool } from "undici";
import { closedLoop, CpuMeter, freePort, secs, startHelper, stopProcess, type LoadResult } from "../lib.js";

export interface HttpCeiling extends LoadResult {
  clients: number;
  /** CPU seconds of the server process per 1,000 requests. */
  serverCpuMsPerRequest: number;
}

/**
 * HTTP ceilings with the same load generator (this process, undici, keep-alive) the scenarios use:
 * - `hono`: a Hono hello-world JSON POST (parse the body, answer JSON) via @hono/node-server;
 * - `raw`: an undici POST to a bare node:http server answering 200 — the floor under an outbound delivery.
 */
export async function httpCeiling(mode: "hono" | "raw", clients = 64): Promise<HttpCeiling> {
  const port = await freePort();
  const child = await startHelper("bench/ceilings/hello-server.js", [mode, String(port)]);
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: clients, pipelining: 1 });
  const body = JSON.stringify({ account: "loy_0123456789abcdefghijklmn", reward: "rwd_0123456789abcdefghijklmn" });
  const op = async () => {
    const res = await pool.request({ method: "POST", path: mode === "hono" ? "/hello" : "/hooks/0", headers: { "content-type": "application/json" }, body });
    await res.body.text();
    if (res.statusCode >= 300) throw new Error(`status ${res.statusCode}`);
  };
  try {
    await closedLoop(clients, secs(2, 0.5) * 1000, op); // warm-up
    const meter = new CpuMeter({ server: () => [child.pid!] });
    meter.start();
    const result = await closedLoop(clients, secs(8, 2) * 1000, op);
    const cpu = meter.stop();
    return { ...result, clients, serverCpuMsPerRequest: (cpu.cpuSeconds.server! * 1000) / Math.max(1, result.ok) };
  } finally {
    await pool.close();
    await stopProcess(child);
  }
}
