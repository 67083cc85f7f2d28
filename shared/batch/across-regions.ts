// Reads that span the served regions (BATCH_REGIONS), one rule each for jobs and envs: a listing
// merged newest first and paged by a cursor of per-region offsets, and an id found in whichever
// served region holds it (looked up in every region once per function instance, then remembered).
import { AppError, isAppError, validationError } from "../errors";
import { regionOfZone } from "../schemas/zone";
import type { BatchPort, Page } from "./port";
import { type BatchRegions, decodeCursor, encodeCursor, mergeNewestFirst, servedRegion } from "./regions";

/**
 * The regions a listing covers: every served one, or the one `?region=` names, or those of the
 * `?zone=` zones (each must be served, and in `region` when both are given: else 400 naming the field).
 */
export function listedRegions(served: readonly string[], region: string | undefined, zones?: readonly string[]): readonly string[] {
  const only = region ? servedRegion(served, region, "query.region") : undefined;
  if (!zones?.length) return only ? [only] : served;
  const of = new Set<string>();
  for (const zone of zones) {
    const r = regionOfZone(zone);
    if (only && r !== only) throw validationError([{ path: "query.zone", message: `zone ${zone} is not in region ${only}` }]);
    of.add(servedRegion(served, r, "query.zone"));
  }
  return served.filter((r) => of.has(r));
}

export interface AcrossPage<T> {
  items: Array<{ item: T; region: string }>;
  total: number;
  /** Where the page starts, counted across the regions (for display when several). */
  offset: number;
  nextOffset: number | null;
  nextCursor: string | null;
}

/**
 * One page of a listing over `listed` regions: each read at its own offset (the cursor's, or
 * `offset`, which is refused across several regions: no one number says where each stands),
 * merged newest first (mergeNewestFirst). `read` is one region's page (one Batch call).
 */
export async function listAcross<T>(
  listed: readonly string[],
  q: { cursor?: string | undefined; offset?: number | undefined; limit: number },
  read: (region: string, offset: number, limit: number) => Promise<Page<T>>,
  time: (item: T) => number,
): Promise<AcrossPage<T>> {
  const { limit } = q;
  if (q.cursor && q.offset !== undefined) throw validationError([{ path: "query.offset", message: "give cursor or offset, not both" }]);
  if (listed.length > 1 && q.offset)
    throw validationError([{ path: "query.offset", message: `the listing covers ${listed.join(", ")}: page with ?cursor= (NextCursor), or name one ?region=` }]);
  const from = q.cursor ? decodeCursor(q.cursor, listed, "query.cursor") : Object.fromEntries(listed.map((r) => [r, q.offset ?? 0]));
  const pages = await Promise.all(listed.map((r) => read(r, from[r]!, limit)));
  const merged = mergeNewestFirst(
    pages.map((p) => p.items),
    time,
    limit,
  );
  const next: Record<string, number> = {};
  let more = false;
  listed.forEach((r, i) => {
    next[r] = from[r]! + merged.taken[i]!;
    // An empty page ends a region even when its total says more (an item deleted under the listing).
    if (next[r]! < pages[i]!.total && pages[i]!.items.length > 0) more = true;
  });
  const at = (m: Record<string, number>) => listed.reduce((n, r) => n + m[r]!, 0);
  return {
    items: merged.items.map(({ item, from: i }) => ({ item, region: listed[i]! })),
    total: pages.reduce((n, p) => n + p.total, 0),
    offset: at(from),
    nextOffset: more ? at(next) : null,
    nextCursor: more ? encodeCursor(next) : null,
  };
}

/** How many ids an instance remembers the region of (the oldest is forgotten first). */
const KNOWN_REGIONS_MAX = 10_000;

/** Where an id lives: its region's port, and what finding it read just now. */
export interface Located<T, P = BatchPort> {
  region: string;
  batch: P;
  read?: T | undefined;
}

/**
 * The regions of ids of one `kind` (jobs, envs). A job or env never changes region, so a
 * remembered region stays true while it exists; one whose region answers `missing` (Tencent's
 * ResourceNotFound code) is forgotten. Misses are never kept (one another instance creates a
 * moment later must be found).
 */
export function idRegions<T, P = BatchPort>(regions: BatchRegions<P>, kind: string, probe: (batch: P, id: string) => Promise<T>, missing: string) {
  const served = regions.names;
  const known = new Map<string, string>();
  const isMissing = (e: unknown) => isAppError(e) && e.tencentCode === missing;
  const remember = (id: string, region: string) => {
    if (served.length < 2) return;
    known.delete(id);
    known.set(id, region);
    if (known.size > KNOWN_REGIONS_MAX) known.delete(known.keys().next().value!);
  };

  /**
   * The region of `id`: `region` (`?region=`, a served one, else 400), the only one, the one
   * remembered, else `probe` in every served region at once (identical concurrent lookups share
   * those calls: the ports' single-flight). Found in two: 409 `<kind>_id_ambiguous` naming them
   * (Batch does not document ids as unique across regions). Found nowhere: Batch's 404, unless a
   * region failed to answer, whose error is the answer then (never a 404 that may be wrong).
   */
  async function locate(id: string, region: string | undefined): Promise<Located<T, P>> {
    const at = (r: string): Located<T, P> => ({ region: r, batch: regions.port(r) });
    if (region) return at(servedRegion(served, region, "query.region"));
    if (served.length === 1) return at(served[0]!);
    const cached = known.get(id);
    if (cached) return at(cached);
    const tries = await Promise.allSettled(served.map((r) => probe(regions.port(r), id)));
    const found: Located<T, P>[] = [];
    tries.forEach((t, i) => {
      if (t.status === "fulfilled") found.push({ ...at(served[i]!), read: t.value });
    });
    if (found.length > 1)
      throw new AppError(`${kind}_id_ambiguous`, `${kind} ${id} exists in ${found.map((f) => f.region).join(" and ")}; name the region with ?region=`, {
        status: 409,
        details: { regions: found.map((f) => f.region) },
      });
    if (found[0]) {
      remember(id, found[0].region);
      return found[0];
    }
    const errors = tries.map((t) => (t as PromiseRejectedResult).reason);
    throw errors.find((e) => !isMissing(e)) ?? errors[0];
  }

  return {
    remember,
    locate,
    /** Runs `fn` where `id` lives (locate); a remembered region that no longer has it is forgotten. */
    async on<R>(id: string, region: string | undefined, fn: (at: Located<T, P>) => Promise<R>): Promise<R> {
      const at = await locate(id, region);
      try {
        return await fn(at);
      } catch (e) {
        if (isMissing(e) && known.get(id) === at.region) known.delete(id);
        throw e;
      }
    },
  };
}
