import { ID_PREFIXES } from "./ids.js";

/**
 * The one rule every string a client sends must meet, wherever it sits (body value or key, query,
 * path): well-formed Unicode (no lone surrogate, which Postgres cannot store in jsonb) and no NUL
 * (which Postgres cannot store in text at all). Checked before validation, so no route can forget it.
 */
export function isAcceptableText(value: string): boolean {
  // `isWellFormed` is in Node 20 (ES2024), newer than the ES2023 lib this project compiles against.
  return (value as string & { isWellFormed(): boolean }).isWellFormed() && !value.includes("\u0000");
}

/** The path (`metadata.k`, `discounts.0.redemption`) of the first unacceptable string or key in a parsed JSON value. */
export function findUnacceptableText(value: unknown, path: string[] = []): string[] | null {
  if (typeof value === "string") return isAcceptableText(value) ? null : path;
  if (value === null || typeof value !== "object") return null;
  for (const [key, item] of Object.entries(value)) {
    // A bad key is blamed on itself: the path to it, then the key (escaped by JSON when answered).
    if (!isAcceptableText(key)) return [...path, key];
    const found = findUnacceptableText(item, [...path, key]);
    if (found) return found;
  }
  return null;
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Bytes as UTF-8, refusing (null) any malformed sequence rather than replacing it with U+FFFD: a
 * replaced character would be stored as if the client had sent it. The declared charset is ignored:
 * the API speaks UTF-8 only (docs/api.md §1.2).
 */
export function decodeUtf8(bytes: ArrayBuffer): string | null {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return null;
  }
}

/** A percent-encoded URL component, decoded; null if it does not decode to acceptable UTF-8 text. */
export function decodeComponent(raw: string): string | null {
  try {
    const decoded = decodeURIComponent(raw);
    return isAcceptableText(decoded) ? decoded : null;
  } catch {
    return null;
  }
}

/**
 * What an id of one kind looks like: its prefix, `_`, base62. Ids we mint have 24 characters; up to 40
 * are accepted, as docs/api.md §1.2 tells clients to allow. Anything else cannot name an object.
 */
export const idFormat = (prefix: (typeof ID_PREFIXES)[keyof typeof ID_PREFIXES]) => new RegExp(`^${prefix}_[0-9A-Za-z]{1,40}$`);
