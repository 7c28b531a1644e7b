export interface Page<T> {
  object: "list";
  data: T[];
  has_more: boolean;
  next_cursor: string | null;
}

/**
 * `await list(...)` gives the first page; `for await (const item of list(...))` walks every item of
 * every page, following `next_cursor`.
 */
export interface PagedList<T> extends PromiseLike<Page<T>>, AsyncIterable<T> {}

export function pagedList<T>(fetchPage: (startingAfter?: string) => Promise<Page<T>>, startingAfter?: string): PagedList<T> {
  let first: Promise<Page<T>> | undefined;
  const firstPage = () => (first ??= fetchPage(startingAfter));
  return {
    then: (onFulfilled, onRejected) => firstPage().then(onFulfilled, onRejected),
    async *[Symbol.asyncIterator]() {
      let page = await firstPage();
      for (;;) {
        yield* page.data;
        if (!page.has_more || !page.next_cursor) return;
        page = await fetchPage(page.next_cursor);
      }
    },
  };
}
