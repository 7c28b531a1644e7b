import { readFile } from "node:fs/promises";
import { ERROR_CODES as CLIENT_ERROR_CODES, EVENT_TYPES } from "@loyalty-redemptions/client";
import { afterAll, beforeAll, expect, test } from "vitest";
import { generateTypes, OUTPUT } from "../../packages/client/scripts/generate-types.mjs";
import { REDEMPTION_EVENT_TYPES } from "../../src/domain/events/outbox.js";
import { ERROR_CODES } from "../../src/errors.js";
import { startHarness, type Harness } from "../helpers/harness.js";

/**
 * The SDK cannot drift from the service: its generated types are what openapi-typescript makes of
 * the document the app serves today, and its hand-kept lists (error codes, event types) are the
 * server's. A failure here means: run `npm run sdk:generate` (or update the list) and commit.
 */
let h: Harness;
let document: any;
beforeAll(async () => {
  h = await startHarness({}, { workers: false });
  const res = await h.api("GET", "/openapi.json", { key: null });
  expect(res.status).toBe(200);
  document = res.body;
});
afterAll(async () => {
  await h?.close();
});

test("packages/client/src/generated/openapi.ts is what the served /openapi.json generates (else: npm run sdk:generate)", async () => {
  const committed = await readFile(OUTPUT, "utf8");
  expect(committed === (await generateTypes(document)), "the generated SDK types are stale: run `npm run sdk:generate` and commit").toBe(true);
});

/** Every `error.code` the document lists, over every operation's error responses. */
function documentedErrorCodes(doc: any): Set<string> {
  const codes = new Set<string>();
  for (const item of Object.values(doc.paths ?? {}) as any[]) {
    for (const operation of Object.values(item) as any[]) {
      for (const response of Object.values(operation?.responses ?? {}) as any[]) {
        for (const code of response?.content?.["application/json"]?.schema?.properties?.error?.properties?.code?.enum ?? []) codes.add(code);
      }
    }
  }
  return codes;
}

test("the SDK's error codes are the server's, each with its status and type, and every code the document lists is one of them", () => {
  expect(CLIENT_ERROR_CODES).toEqual(ERROR_CODES);
  const documented = documentedErrorCodes(document);
  expect(documented.size).toBeGreaterThan(10);
  for (const code of documented) expect(Object.keys(CLIENT_ERROR_CODES), `documented code ${code}`).toContain(code);
});

test("the SDK's event types are the server's and the document's", () => {
  expect([...EVENT_TYPES].sort()).toEqual([...REDEMPTION_EVENT_TYPES].sort());
  expect([...document.components.schemas.Event.properties.type.enum].sort()).toEqual([...EVENT_TYPES].sort());
});
