import { createServer } from "node:net";

/** A TCP port free on 127.0.0.1 right now (the OS picks it; closed again before it is returned). */
export const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
