import type { Page, WithLastResponse } from "./types.js";

/**
 * What a `list` call returns. `await` it for the first page (`data`, `has_more`, `next_cursor`,
 * `lastResponse`); iterate it with `for await` for every item of every page, following
 * `next_cursor` (in the direction of `ending_before` when the first call used it); or
 * `autoPagingToArray({ limit })` to collect at most `limit` items.
 */
export interface PagePromise<T> extends PromiseLike<WithLastResponse<Page<T>>>, AsyncIterable<T> {
  autoPagingToArray(options: { limit: number }): Promise<T[]>;
  catch<E = never>(onRejected?: ((reason: unknown) => E | PromiseLike<E>) | null): Promise<WithLastResponse<Page<T>> | E>;
  finally(onFinally?: (() => void) | null): Promise<WithLastResponse<Page<T>>>;
}

export type Cursor = { starting_after: string } | { ending_before: string };

export function pagePromise<T>(fetchPage: (cursor?: Cursor) => Promise<WithLastResponse<Page<T>>>, backwards: boolean): PagePromise<T> {
  let first: Promise<WithLastResponse<Page<T>>> | undefined;
  const firstPage = () => (first ??= fetchPage());
  async function* items(): AsyncGenerator<T> {
    let page = await firstPage();
    for (;;) {
      yield* page.data;
      if (!page.has_more || !page.next_cursor) return;
      page = await fetchPage(backwards ? { ending_before: page.next_cursor } : { starting_after: page.next_cursor });
    }
  }
  return {
    then: (onFulfilled, onRejected) => firstPage().then(onFulfilled, onRejected),
    catch: (onRejected) => firstPage().catch(onRejected),
    finally: (onFinally) => firstPage().finally(onFinally),
    [Symbol.asyncIterator]: items,
    async autoPagingToArray({ limit }) {
      if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new RangeError("autoPagingToArray: limit must be an integer from 1 to 10000");
      const out: T[] = [];
      for await (const item of items()) {
        out.push(item);
        if (out.length >= limit) break;
      }
      return out;
    },
  };
}
