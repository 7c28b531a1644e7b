import { z } from "@hono/zod-openapi";

export const metadataSchema = z
  .record(z.string().min(1).max(40), z.string().max(500))
  .refine((value) => Object.keys(value).length <= 50, "at most 50 keys")
  .openapi("Metadata", { description: "Up to 50 string keys (≤ 40 chars) with string values (≤ 500 chars)." });

export const idParam = (prefix: string) =>
  z.object({
    id: z
      .string()
      .max(64)
      .openapi({ param: { name: "id", in: "path" }, example: `${prefix}_8sd2k1` }),
  });

export const objectId = (prefix: string) => z.string().min(1).max(64).openapi({ example: `${prefix}_8sd2k1` });

export const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(25).openapi({ param: { name: "limit", in: "query" } }),
  starting_after: z.string().max(64).optional().openapi({ param: { name: "starting_after", in: "query" } }),
  ending_before: z.string().max(64).optional().openapi({ param: { name: "ending_before", in: "query" } }),
});

export const listOf = <T extends z.ZodType>(item: T, name: string) =>
  z
    .object({
      object: z.literal("list"),
      data: z.array(item),
      has_more: z.boolean(),
      next_cursor: z.string().nullable(),
    })
    .openapi(name);

export const errorSchema = z
  .object({
    error: z.object({
      type: z.string(),
      code: z.string(),
      message: z.string(),
      param: z.string().optional(),
      request_id: z.string(),
    }),
  })
  .openapi("Error");

export const currency = z.string().regex(/^[A-Z]{3}$/, "an upper-case ISO-4217 code");
export const minorUnits = z.number().int().positive().max(1_000_000_000_000);
export const points = z.number().int().positive().max(1_000_000_000_000);

const errorResponse = (description: string) => ({ description, content: { "application/json": { schema: errorSchema } } });

/** The error responses every authenticated route can give. */
export const commonErrors = {
  400: errorResponse("Invalid request"),
  401: errorResponse("Missing or invalid API key"),
  404: errorResponse("No such object"),
  503: errorResponse("Temporarily unavailable; retry with the same Idempotency-Key"),
} as const;

export const writeErrors = {
  ...commonErrors,
  409: errorResponse("Idempotency-Key reused with another request, or still in progress"),
  413: errorResponse("Body larger than 64 KiB"),
  422: errorResponse("Refused by a business rule"),
} as const;

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
    .openapi({ param: { name: "idempotency-key", in: "header" }, description: "1–255 printable ASCII characters; retries with the same key are answered with the first response." }),
});
