import { decryptSecret, encryptSecret } from "../../../domain/webhooks/secret-box.js";

/**
 * The create and rotate responses carry the signing secret, and runInline stores responses for
 * idempotent replay. So that the secret is never at rest in clear text (not even in the idempotency
 * table), the stored body holds it encrypted and it is unsealed on the way out, first time or replay.
 */
const aad = (endpointId: string) => `${endpointId}#response`;

export function sealSecret<T extends { id: string; secret: string }>(body: T, key: Buffer): T {
  return { ...body, secret: encryptSecret(key, aad(body.id), body.secret) };
}

export async function unsealResponse(response: Response, key: Buffer): Promise<Response> {
  if (response.status >= 300) return response;
  const body = JSON.parse(await response.text()) as { id: string; secret: string };
  const unsealed = { ...body, secret: decryptSecret(key, aad(body.id), body.secret) };
  return new Response(JSON.stringify(unsealed), { status: response.status, headers: response.headers });
}
