import { randomBytes } from "node:crypto";
import { expect, test } from "vitest";
import { RETRY_AFTER_MAX_MS, retryDelayMs } from "../../src/domain/webhooks/deliveries.js";
import { decryptSecret, encryptSecret } from "../../src/domain/webhooks/secret-box.js";
import { parseRetryAfter } from "../../src/webhooks/sender.js";

const schedule = [60_000, 300_000, 1_800_000];

test("retry delays follow the schedule with ±10 % jitter, then stop", () => {
  expect(retryDelayMs(schedule, 1, null, 0)).toBe(54_000);
  expect(retryDelayMs(schedule, 1, null, 1)).toBe(66_000);
  expect(retryDelayMs(schedule, 3, null, 0.5)).toBe(1_800_000);
  expect(retryDelayMs(schedule, 4, null, 0.5)).toBeNull();
});

test("Retry-After is honoured as a lower bound, capped", () => {
  expect(retryDelayMs(schedule, 1, 120_000, 0.5)).toBe(120_000);
  expect(retryDelayMs(schedule, 1, 1_000, 0.5)).toBe(60_000);
  expect(retryDelayMs([100], 1, 10 * 86_400_000, 0.5)).toBe(RETRY_AFTER_MAX_MS);
});

test("Retry-After parses seconds and HTTP dates", () => {
  const now = Date.parse("2026-11-25T10:00:00Z");
  expect(parseRetryAfter("30", now)).toBe(30_000);
  expect(parseRetryAfter("Wed, 25 Nov 2026 10:01:00 GMT", now)).toBe(60_000);
  expect(parseRetryAfter("soon", now)).toBeNull();
  expect(parseRetryAfter(undefined, now)).toBeNull();
});

test("secrets are encrypted with AES-256-GCM, bound to their endpoint", () => {
  const key = randomBytes(32);
  const sealed = encryptSecret(key, "we_1", "whsec_abc");
  expect(sealed).not.toContain("abc");
  expect(encryptSecret(key, "we_1", "whsec_abc")).not.toBe(sealed);
  expect(decryptSecret(key, "we_1", sealed)).toBe("whsec_abc");
  expect(() => decryptSecret(key, "we_2", sealed)).toThrow();
  expect(() => decryptSecret(randomBytes(32), "we_1", sealed)).toThrow();
  const [version, iv, tag, body] = sealed.split(".");
  const flipped = Buffer.from(body!, "base64url");
  flipped[0]! ^= 1;
  expect(() => decryptSecret(key, "we_1", [version, iv, tag, flipped.toString("base64url")].join("."))).toThrow();
});
