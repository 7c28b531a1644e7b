import { readFileSync } from "node:fs";

/** The Standard Webhooks signature vectors shared with the spec (`../shared/fixtures`). */
export interface SignatureVector {
  secret: string;
  id: string;
  timestamp: number;
  body: string;
  signature: string;
}

export const signatureVectors: { valid: SignatureVector[]; invalid_signatures_for_first_vector: string[] } = JSON.parse(
  readFileSync(new URL("../../../shared/fixtures/standard-webhooks-vectors.json", import.meta.url), "utf8"),
);
