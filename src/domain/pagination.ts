import { ApiError } from "../errors.js";

export interface ListParams {
  limit: number;
  starting_after?: string | undefined;
  ending_before?: string | undefined;
}

export interface ListPage<T> {
  object: "list";
  data: T[];
  has_more: boolean;
  /** The id to pass, in the same parameter, to continue in the same direction; null at the end. */
  next_cursor: string | null;
}

export interface PageWindow {
  /** Rows strictly older (`<`) or newer (`>`) than this sequence number; null = from the newest. */
  bound: { op: "<" | ">"; seq: number } | null;
  order: "desc" | "asc";
  /** One more than asked, to learn whether there is more. */
  take: number;
}

/**
 * Cursor pagination, newest first, over a table's internal `seq` (ids are random, so they can't order).
 * `resolveSeq` must look the cursor up within the caller's merchant and mode: a foreign id is unknown.
 */
export async function paginate<Row extends { id: string; seq: number }, T>(
  params: ListParams,
  resolveSeq: (id: string) => Promise<number | undefined>,
  fetch: (window: PageWindow) => Promise<Row[]>,
  serialize: (row: Row) => T,
): Promise<ListPage<T>> {
  if (params.starting_after && params.ending_before) {
    throw new ApiError("parameter_invalid", "Pass starting_after or ending_before, not both.", "ending_before");
  }
  const cursorParam = params.starting_after ? "starting_after" : params.ending_before ? "ending_before" : null;
  let bound: PageWindow["bound"] = null;
  if (cursorParam) {
    const cursorId = params[cursorParam]!;
    const seq = await resolveSeq(cursorId);
    if (seq === undefined) throw new ApiError("parameter_invalid", `No such object: '${cursorId}'`, cursorParam);
    bound = { op: cursorParam === "starting_after" ? "<" : ">", seq };
  }
  const backwards = cursorParam === "ending_before";
  const rows = await fetch({ bound, order: backwards ? "asc" : "desc", take: params.limit + 1 });
  const hasMore = rows.length > params.limit;
  const page = rows.slice(0, params.limit);
  if (backwards) page.reverse();
  const edge = backwards ? page[0] : page[page.length - 1];
  return { object: "list", data: page.map(serialize), has_more: hasMore, next_cursor: hasMore && edge ? edge.id : null };
}

export const unixSeconds = (date: Date) => Math.floor(date.getTime() / 1000);
