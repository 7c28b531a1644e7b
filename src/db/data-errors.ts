import { ApiError } from "../errors.js";

/**
 * Postgres refusing a value: SQLSTATE class 22 (data exception: NUL or an untranslatable character,
 * bad text for a type, out of range, too long) and 23514 (a CHECK constraint). Validation is meant to
 * refuse all of these first, so one reaching Postgres is a bug in validation, but the client still sent
 * a value we cannot take: a 400, never a 500 (and, in a worker, never a job that fails until dead-lettered).
 */
export function isDataError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && (code.startsWith("22") || code === "23514");
}

/** What the client is told: the value could not be stored; what the operator is told is logged by the caller. */
export const dataErrorRefusal = () => new ApiError("parameter_invalid", "A parameter has a value that cannot be stored.");

/** The log line for one: an error, because validation should have refused the input. */
export const DATA_ERROR_LOG = "input reached Postgres that validation should have refused";
