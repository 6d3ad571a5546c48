import type { JsonValue } from "@bufbuild/protobuf";
import { createQueryOptions, useQuery, useTransport } from "@connectrpc/connect-query";
import { type At, type BrowseResponse, Direction, type EventFilter, QueryService } from "@langtian/proto";
import { type UseQueryResult, useQueries } from "@tanstack/react-query";
import { useCallback, useMemo, useState } from "react";
import { recordOf } from "./event-cells.ts";

/** Rows per Browse page: the server's maximum, so 100k rows are 100 requests. */
export const PAGE_SIZE = 1000;

/** What {@link useBrowsePages} gives the page. */
export interface BrowsePages {
  /** The first page's query (loading, error and stale states of the view). */
  readonly first: UseQueryResult<BrowseResponse>;
  /** Every row loaded so far, in browse order. */
  readonly rows: readonly Record<string, JsonValue>[];
  /** Whether a later page exists that is not loaded yet. */
  readonly hasMore: boolean;
  /** Whether a later page is being fetched. */
  readonly loadingMore: boolean;
  /** The error of a later page, if its fetch failed. */
  readonly moreError: unknown;
  /** Asks for the next page (a no-op while one loads or at the end). */
  loadMore(): void;
  /** Retries the failed later page. */
  retryMore(): void;
}

// Rows of a page are converted once: pages are immutable (pinned to a snapshot).
const recordsOfPage = new WeakMap<BrowseResponse, Record<string, JsonValue>[]>();
function pageRecords(page: BrowseResponse): Record<string, JsonValue>[] {
  let records = recordsOfPage.get(page);
  if (records === undefined) {
    records = page.rows.map((row) => recordOf(page.columns, row));
    recordsOfPage.set(page, records);
  }
  return records;
}

/**
 * Keyset paging through Browse. The first page is an ordinary query, kept in the offline cache
 * (a view opens at once, offline too); later pages are fetched by cursor when the grid nears the
 * end and are left out of the offline cache (`meta: { offline: false }`: 100 pages of 1000 rows
 * would fill it). The cursors pin the first page's snapshot, so later pages never need
 * refetching; when the first page changes (a refresh read a newer snapshot) they start over.
 */
export function useBrowsePages(filter: EventFilter, at: At | undefined, backward: boolean): BrowsePages {
  const transport = useTransport();
  const first = useQuery(QueryService.method.browse, {
    filter,
    pageSize: PAGE_SIZE,
    direction: backward ? Direction.BACKWARD : Direction.FORWARD,
    ...(at === undefined ? {} : { at }),
  });
  const base = first.data?.nextCursor ?? "";
  const [state, setState] = useState<{ base: string; cursors: readonly string[] }>({ base: "", cursors: [] });
  const cursors = useMemo(() => (state.base === base ? state.cursors : []), [state, base]);
  const later = useQueries({
    queries: cursors.map((cursor) => ({
      ...createQueryOptions(QueryService.method.browse, { cursor }, { transport }),
      meta: { offline: false },
      staleTime: Number.POSITIVE_INFINITY,
    })),
  });

  const pages: BrowseResponse[] = [];
  if (first.data !== undefined) pages.push(first.data);
  for (const q of later) {
    if (q.data === undefined) break;
    pages.push(q.data);
  }
  const pageKey = pages.map((p) => p.nextCursor).join("|");
  // biome-ignore lint/correctness/useExhaustiveDependencies: pageKey names the pages
  const rows = useMemo(() => pages.flatMap(pageRecords), [pageKey, first.data]);
  const lastPage = pages.at(-1);
  const pending = later.find((q) => q.data === undefined);
  const next = lastPage?.nextCursor ?? "";

  const loadMore = useCallback(() => {
    if (pending !== undefined || next === "" || cursors.includes(next)) return;
    setState({ base, cursors: [...cursors, next] });
  }, [pending, next, cursors, base]);

  return {
    first,
    rows,
    hasMore: next !== "" || pending !== undefined,
    loadingMore: pending?.isFetching ?? false,
    moreError: pending?.isError === true ? pending.error : undefined,
    loadMore,
    retryMore: () => void pending?.refetch(),
  };
}
