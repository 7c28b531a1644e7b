import { randomBytes } from "node:crypto";

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

export const ID_PREFIXES = {
  merchant: "mer",
  account: "loy",
  reward: "rwd",
  redemption: "rdm",
  pointsTransaction: "ptx",
  event: "evt",
  webhookEndpoint: "we",
  deliveryAttempt: "whatt",
  payment: "pay",
  request: "req",
  idempotency: "idk",
  inbox: "iwh",
  delivery: "dlv",
} as const;

export type IdKind = keyof typeof ID_PREFIXES;

/**
 * Random bytes drawn from the CSPRNG 4 KiB at a time: every id costs a call into OpenSSL otherwise, and
 * a redemption draws half a dozen. Each byte is used once.
 */
const POOL_SIZE = 4096;
let pool = randomBytes(POOL_SIZE);
let poolAt = 0;
function randomByte(): number {
  if (poolAt === POOL_SIZE) {
    pool = randomBytes(POOL_SIZE);
    poolAt = 0;
  }
  return pool[poolAt++]!;
}

/** Random base62 string; rejection sampling keeps every character equally likely. */
export function randomString(length: number, alphabet = ALPHABET): string {
  const limit = 256 - (256 % alphabet.length);
  let out = "";
  while (out.length < length) {
    const byte = randomByte();
    if (byte < limit) out += alphabet[byte % alphabet.length];
  }
  return out;
}

/** Prefixed, random (not sequential), URL-safe id of at most 30 characters. */
export function newId(kind: IdKind): string {
  return `${ID_PREFIXES[kind]}_${randomString(24)}`;
}

/** Human-typable discount code: no 0/O/1/I, so it survives being read aloud or retyped. */
const CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
export function newDiscountCode(): string {
  return `VINR-${randomString(8, CODE_ALPHABET)}`;
}
