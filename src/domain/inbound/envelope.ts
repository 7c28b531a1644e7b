/**
 * The event's object and when it was sent. The route stored only bodies that parsed as a JSON object
 * with a string `type`; a row that does not parse (stored otherwise) throws, and is dead-lettered.
 */
export function readEnvelope(row: { payload: string; received_at: Date }): { object: unknown; sentAt: Date } {
  const envelope = JSON.parse(row.payload) as { created?: unknown; data?: { object?: unknown } };
  const object = envelope.data?.object;
  const sentAt = typeof envelope.created === "number" ? new Date(envelope.created * 1000) : row.received_at;
  return { object, sentAt };
}
