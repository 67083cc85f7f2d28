// Walking Batch's offset/limit pages.
import type { Page } from "./port";

/** Walks every page (Limit 100 by default) of a paged port call. */
export async function collectAll<T>(
  fetchPage: (offset: number, limit: number) => Promise<Page<T>>,
  opts: { limit?: number; max?: number } = {},
): Promise<T[]> {
  const limit = opts.limit ?? 100;
  const max = opts.max ?? Number.POSITIVE_INFINITY;
  const out: T[] = [];
  for (let offset = 0; out.length < max; offset += limit) {
    const p = await fetchPage(offset, limit);
    out.push(...p.items);
    if (p.items.length < limit || out.length >= p.total) break;
  }
  return out;
}
