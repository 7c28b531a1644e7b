import { z } from "@hono/zod-openapi";
import type { ID_PREFIXES } from "../../ids.js";
import { idFormat } from "../../input-rules.js";

type IdPrefix = (typeof ID_PREFIXES)[keyof typeof ID_PREFIXES];

/** Documents a schema: what it means, and an example value. Metadata only: validation is unchanged. */
export const d = <T extends z.ZodType>(schema: T, description: string, example?: unknown) =>
  schema.openapi(example === undefined ? { description } : { description, example });

export const metadataSchema = z
  .record(z.string().min(1).max(40), z.string().max(500))
  .refine((value) => Object.keys(value).length <= 50, "at most 50 keys")
  .openapi("Metadata", { description: "Your own key-value data: up to 50 string keys (≤ 40 characters) with string values (≤ 500 characters), stored and returned as given.", example: { cart: "9f31" } });

/** A path id. One not in its kind's format is answered 404 like an unknown id (router.ts), before any query. */
export const idParam = (prefix: IdPrefix) =>
  z.object({
    id: z
      .string()
      .regex(idFormat(prefix), `a ${prefix}_ id`)
      .openapi({
        param: { name: "id", in: "path", description: `The object's id (\`${prefix}_…\`). One that is malformed, of another kind, or not this merchant's in this mode is \`404 resource_missing\`.` },
        example: `${prefix}_8sd2k1`,
      }),
  });

/** A query parameter naming an object: one not in its kind's format is `400 parameter_invalid`, before any query. */
export const queryId = (prefix: IdPrefix, name: string, description: string) =>
  z
    .string()
    .regex(idFormat(prefix), `must be a ${prefix}_ id`)
    .optional()
    .openapi({ param: { name, in: "query", description }, example: `${prefix}_8sd2k1` });

/** The request body of an action that takes no parameters: `{}` or none; any parameter is unknown (400). */
export const noParameters = {
  required: false,
  content: { "application/json": { schema: z.strictObject({}).openapi("NoParameters", { description: "This action takes no parameters: send `{}` or no body. Any parameter is `400 parameter_invalid`.", example: {} }) } },
};

export const objectId = (prefix: string) => z.string().min(1).max(64).openapi({ example: `${prefix}_8sd2k1` });

/** Query parameters of a list of objects with ids of `prefix`: the cursors are ids of that kind. */
export const listQueryOf = (prefix: IdPrefix) =>
  z.object({
    limit: z.coerce
      .number()
      .int()
      .min(1)
      .max(100)
      .default(25)
      .openapi({ param: { name: "limit", in: "query", description: "How many objects to return, 1–100 (default 25)." }, example: 25 }),
    starting_after: queryId(
      prefix,
      "starting_after",
      `A cursor, the id of an object of this list (\`${prefix}_…\`): the page after it (older objects). Pass \`next_cursor\` here to page on. Not with \`ending_before\`; an unknown id is \`400 parameter_invalid\`.`,
    ),
    ending_before: queryId(
      prefix,
      "ending_before",
      `A cursor, the id of an object of this list (\`${prefix}_…\`): the page before it (newer objects). Pass \`next_cursor\` here to keep going. Not with \`starting_after\`; an unknown id is \`400 parameter_invalid\`.`,
    ),
  });

/** A page of a list (docs/api.md §1.6): `what` names the objects ("redemptions"), `example` is one of them. */
export const listOf = <T extends z.ZodType>(item: T, name: string, what: string, example: Record<string, unknown>) =>
  z
    .object({
      object: z.literal("list").openapi({ description: "Always `list`.", example: "list" }),
      data: z.array(item).openapi({ description: `The ${what} of this page, newest first; empty when there are none.`, example: [example] }),
      has_more: z.boolean().openapi({ description: "`true` when there are more objects in the direction of the cursor used (older, or newer with `ending_before`).", example: true }),
      next_cursor: z
        .string()
        .nullable()
        .openapi({
          description: "The id to pass in the same cursor parameter (`starting_after`, or `ending_before` if that was used) to get the next page; `null` when `has_more` is false.",
          example: typeof example.id === "string" ? example.id : null,
        }),
    })
    .openapi(name, {
      description: `A page of ${what}, newest first (docs/api.md §1.6).`,
      example: { object: "list", data: [example], has_more: true, next_cursor: typeof example.id === "string" ? example.id : null },
    });

/**
 * ISO-4217 codes as ICU (bundled with Node) knows them: the current codes plus a few recently withdrawn
 * ones, without the X-codes for metals, funds and testing, which no reward or payment is priced in.
 */
const CURRENCIES = new Set(Intl.supportedValuesOf("currency"));
export const currency = z.string().refine((code) => CURRENCIES.has(code), "must be an upper-case ISO-4217 currency code");
export const minorUnits = z.number().int().positive().max(1_000_000_000_000);
export const points = z.number().int().positive().max(1_000_000_000_000);

export const jsonBody = <T extends z.ZodType>(schema: T) => ({
  required: true,
  content: { "application/json": { schema } },
});

export const jsonResponse = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

export const idempotencyHeader = z.object({
  "idempotency-key": z
    .string()
    .optional()
    .openapi({
      param: { name: "idempotency-key", in: "header" },
      description:
        "1–255 printable ASCII characters you choose (a UUID, or your cart or order id). A retry with the same key gets the first answer back (2xx or a stored 4xx) with `Idempotent-Replayed: true`, and does nothing again; stored 48 hours. Send one on every write you might retry, always on redemptions (docs/api.md §1.4).",
      example: "cart-9f31",
    }),
});
