import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

/**
 * Signing secrets at rest: AES-256-GCM with a key from configuration (WEBHOOK_SECRET_KEY). The
 * endpoint id is the associated data, so a ciphertext copied onto another endpoint's row does not
 * decrypt: a database-only attacker can't make us sign for one endpoint with another's secret.
 * Format: `v1.<iv>.<tag>.<ciphertext>` (base64url), versioned so the scheme can change later.
 */
const VERSION = "v1";

export function encryptSecret(key: Buffer, endpointId: string, secret: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(endpointId, "utf8"));
  const ciphertext = Buffer.concat([cipher.update(secret, "utf8"), cipher.final()]);
  return [VERSION, iv, cipher.getAuthTag(), ciphertext].map((part) => (typeof part === "string" ? part : part.toString("base64url"))).join(".");
}

/** Throws on a wrong key, a tampered ciphertext or a ciphertext of another endpoint. */
export function decryptSecret(key: Buffer, endpointId: string, stored: string): string {
  const [version, iv, tag, ciphertext] = stored.split(".");
  if (version !== VERSION || !iv || !tag || ciphertext === undefined) throw new Error("unrecognised secret ciphertext format");
  const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
  decipher.setAAD(Buffer.from(endpointId, "utf8"));
  decipher.setAuthTag(Buffer.from(tag, "base64url"));
  return Buffer.concat([decipher.update(Buffer.from(ciphertext, "base64url")), decipher.final()]).toString("utf8");
}
