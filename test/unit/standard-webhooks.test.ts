import { afterEach, describe, expect, test, vi } from "vitest";
import { Webhook } from "standardwebhooks";
import { signWebhook, verifyWebhook } from "../../src/webhooks/standard-webhooks.js";
import { signatureVectors } from "../helpers/vectors.js";

const vectors = signatureVectors;
const headersFor = (v: { id: string; timestamp: number }, signature: string) => ({
  "webhook-id": v.id,
  "webhook-timestamp": String(v.timestamp),
  "webhook-signature": signature,
});

afterEach(() => vi.useRealTimers());

describe("Standard Webhooks vectors", () => {
  test.each(vectors.valid)("valid vector $id verifies and signs to the same bytes", (v) => {
    vi.useFakeTimers({ now: v.timestamp * 1000 });
    expect(verifyWebhook([v.secret], v.body, headersFor(v, v.signature))).toEqual({ ok: true, messageId: v.id });
    expect(signWebhook([v.secret], v.id, new Date(v.timestamp * 1000), v.body)["webhook-signature"]).toBe(v.signature);
  });

  test.each(vectors.invalid_signatures_for_first_vector)("invalid signature %s is refused", (signature) => {
    const v = vectors.valid[0]!;
    vi.useFakeTimers({ now: v.timestamp * 1000 });
    expect(verifyWebhook([v.secret], v.body, headersFor(v, signature)).ok).toBe(false);
  });

  test("a re-serialised body fails", () => {
    const v = vectors.valid[0]!;
    vi.useFakeTimers({ now: v.timestamp * 1000 });
    const reserialised = JSON.stringify(JSON.parse(v.body));
    expect(reserialised).not.toBe(v.body);
    expect(verifyWebhook([v.secret], reserialised, headersFor(v, v.signature)).ok).toBe(false);
  });

  test.each([-301, 301])("a timestamp %i s away from now fails even when correctly signed", (offset) => {
    const v = vectors.valid[0]!;
    vi.useFakeTimers({ now: (v.timestamp + offset) * 1000 });
    expect(verifyWebhook([v.secret], v.body, headersFor(v, v.signature))).toMatchObject({ ok: false });
  });

  test("several secrets: any match passes (rotation), in either direction", () => {
    const v = vectors.valid[0]!;
    vi.useFakeTimers({ now: v.timestamp * 1000 });
    const other = "whsec_" + Buffer.from("another secret of 24 b!!").toString("base64");
    expect(verifyWebhook([other, v.secret], v.body, headersFor(v, v.signature)).ok).toBe(true);
    const both = signWebhook([other, v.secret], v.id, new Date(v.timestamp * 1000), v.body);
    expect(both["webhook-signature"].split(" ")).toHaveLength(2);
    // A receiver that knows only one of the two secrets, using the reference library, accepts it.
    expect(() => new Webhook(other).verify(v.body, both)).not.toThrow();
    expect(() => new Webhook(v.secret).verify(v.body, both)).not.toThrow();
  });

  test("missing headers fail", () => {
    const v = vectors.valid[0]!;
    expect(verifyWebhook([v.secret], v.body, { "webhook-id": v.id }).ok).toBe(false);
  });
});
