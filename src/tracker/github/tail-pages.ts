// Reading the newest part of a list GitHub serves oldest first (issue comments, issue events: no sort or
// direction parameter), without reading all of it: page 1 (whose Link header names the last page), then
// pages from the last one backwards until the caller has what it needs or the page budget is spent. A
// flooded issue then costs a bounded number of requests per read, not one per hundred items.

const PAGE = 100;

export interface TailRead<T> {
  /** Items read, oldest first; pages in the middle may be missing unless `complete`. */
  items: T[];
  /** Items on the pages read from the end backwards (plus page 1 once every page was read): the newest, gap-free. */
  newest: T[];
  /** Every page was read. */
  complete: boolean;
  /** How many items the list holds (exact when complete, else from the page count). */
  total: number;
}

/** The last page number a Link header names (rel="last"), or null when there is no other page. */
export function lastPageOf(link: string | undefined): number | null {
  const m = /<[^>]*[?&]page=(\d+)[^>]*>;\s*rel="last"/.exec(link ?? '');
  return m ? Number(m[1]) : null;
}

/**
 * `get(page)` one page of 100; `enough(newest, all)` says when to stop reading backwards (given the gap-free
 * newest items and everything read so far); at most `maxPages` requests in all.
 */
export async function readTail<T>(
  get: (page: number, perPage: number) => Promise<{ data: unknown; headers: Record<string, unknown> }>,
  parse: (raw: unknown) => T,
  enough: (newest: T[], all: T[]) => boolean,
  maxPages: number,
): Promise<TailRead<T>> {
  const first = await get(1, PAGE);
  const pages = new Map<number, T[]>([[1, (first.data as unknown[]).map(parse)]]);
  const last = lastPageOf(first.headers.link as string | undefined) ?? 1;
  const ordered = () => [...pages.entries()].sort((a, b) => a[0] - b[0]).flatMap(([, list]) => list);
  const newest = () => {
    const out: T[] = [];
    let k = last;
    for (; k > 1 && pages.has(k); k--) out.unshift(...pages.get(k)!);
    return k === 1 ? [...pages.get(1)!, ...out] : out;
  };
  for (let p = last; p > 1 && pages.size < maxPages; p--) {
    if (enough(newest(), ordered())) break;
    pages.set(p, ((await get(p, PAGE)).data as unknown[]).map(parse));
  }
  const items = ordered();
  const complete = pages.size === last;
  const total = complete ? items.length : (last - 1) * PAGE + (pages.get(last)?.length ?? 0);
  return { items, newest: newest(), complete, total };
}
