/** A wait that ran out: the awaited work may still finish later, so callers must not assume it failed. */
export class DeadlineExceeded extends Error {
  constructor(readonly what: string, readonly ms: number) {
    super(`${what} did not answer within ${ms} ms`);
  }
}

/**
 * Races `work` against a timer. Every wait on Redis or Postgres goes through this (or through a client
 * timeout of the same length): a dependency that stops answering must cost a bounded wait, never a hang.
 */
export function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  if (ms <= 0) {
    work.catch(() => {});
    return Promise.reject(new DeadlineExceeded(what, 0));
  }
  let timer: NodeJS.Timeout;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineExceeded(what, ms)), ms);
  });
  // The loser's rejection must not surface as an unhandled rejection.
  work.catch(() => {});
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
