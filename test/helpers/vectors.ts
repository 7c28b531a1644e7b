import { readFileSync } from "node:fs";

/** The Standard Webhooks specification's signature vectors (`test/fixtures/standard-webhooks-vectors.json`). */
export interface SignatureVector {
  secret: string;
  id: string;
  timestamp: number;
  body: string;
  signature: string;
}

export const signatureVectors: { valid: SignatureVector[]; invalid_signatures_for_first_vector: string[] } = JSON.parse(
  readFileSync(new URL("../fixtures/standard-webhooks-vectors.json", import.meta.url), "utf8"),
);
