import { pino, type Logger } from "pino";

export type { Logger };

/** JSON lines to stdout. Secrets and signatures are redacted wherever they appear by these names. */
export function createLogger(level: string, bindings: Record<string, unknown> = {}): Logger {
  return pino({
    level,
    base: { pid: process.pid, ...bindings },
    redact: {
      paths: ["authorization", "*.authorization", "secret", "*.secret", "webhook-signature", "*.webhook-signature"],
      censor: "[redacted]",
    },
  });
}
