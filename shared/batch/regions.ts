// The regions a function serves (BATCH_REGIONS) and one Batch port per region, each made on first
// use with its own client-side quotas (Tencent's limits are per region); plus what a listing
// across regions needs: a merge newest first and a cursor of per-region offsets.
import * as z from "../zod";
import { lazy } from "../zod";
import { AppError } from "../errors";
import { RegionSchema } from "../schemas/region";
import type { BatchPort } from "./port";

/** BATCH_REGIONS: comma-separated regions (`ap-guangzhou,ap-shanghai`), each named once. */
export const RegionListSchema = /* @__PURE__ */ lazy(() =>
  z.pipe(
    z.pipe(
      z.string(),
      z.transform((s) => s.split(",").map((r) => r.trim())),
    ),
    z.array(RegionSchema).check(
      z.superRefine((list, ctx) => {
        list.forEach((r, i) => {
          if (list.indexOf(r) !== i) ctx.addIssue({ code: "custom", path: [i], message: `${r} is listed twice`, input: r });
        });
      }),
    ),
  ),
);

/** The served regions and their ports: the whole BatchPort, or (`P`) the operations a function calls. */
export interface BatchRegions<P = BatchPort> {
  /** The served regions, in the order BATCH_REGIONS names them. */
  readonly names: readonly string[];
  /** The Batch port of a served region, made on its first use (a region not served is a bug: throws). */
  port(region: string): P;
}

/** Ports made by `make` on first use, one per served region. */
export function batchRegions<P>(names: readonly string[], make: (region: string) => P): BatchRegions<P> {
  const ports = new Map<string, P>();
  return {
    names,
    port(region) {
      let p = ports.get(region);
      if (!p) {
        if (!names.includes(region)) throw new AppError("region_not_served", `region ${region} is not served (${names.join(", ")})`);
        p = make(region);
        ports.set(region, p);
      }
      return p;
    },
  };
}

/** One region over one port (the single-region default, and tests). */
export const oneRegion = <P = BatchPort>(region: string, port: P): BatchRegions<P> => batchRegions([region], () => port);

/** `region` when served, else a 400 naming `path` and the served regions. */
export function servedRegion(regions: readonly string[], region: string, path: string): string {
  if (regions.includes(region)) return region;
  throw new AppError("validation_failed", `${path}: region ${region} is not served here`, {
    status: 400,
    issues: [{ path, message: `region ${region} is not served here; served: ${regions.join(", ")}` }],
  });
}

// ── listing across regions ─────────────────────────────────────────────────────────────

/**
 * The first `limit` items of per-region lists, each already newest first, merged newest first
 * (`time`: epoch ms; ties and unknown times keep the earlier region first). Only heads are
 * compared, so each region's own order is kept and what is taken from a region is a prefix of
 * its list: `taken[i]` items of list i, the offsets of the next page.
 */
export function mergeNewestFirst<T>(lists: ReadonlyArray<readonly T[]>, time: (item: T) => number, limit: number): { items: Array<{ item: T; from: number }>; taken: number[] } {
  const taken = lists.map(() => 0);
  const items: Array<{ item: T; from: number }> = [];
  while (items.length < limit) {
    let best = -1;
    let bestTime = Number.NEGATIVE_INFINITY;
    lists.forEach((list, i) => {
      const head = list[taken[i]!];
      if (head === undefined) return;
      const t = time(head);
      if (best < 0 || t > bestTime) {
        best = i;
        bestTime = t;
      }
    });
    if (best < 0) break;
    items.push({ item: lists[best]![taken[best]!]!, from: best });
    taken[best]!++;
  }
  return { items, taken };
}

/** The opaque cursor of a listing across regions: the next offset in each region, base64url JSON. */
export function encodeCursor(offsets: Readonly<Record<string, number>>): string {
  return Buffer.from(JSON.stringify({ v: 1, o: offsets })).toString("base64url");
}

/**
 * The per-region offsets of a cursor from `encodeCursor`, for exactly the regions of this listing;
 * anything else (malformed, another set of regions, e.g. after BATCH_REGIONS changed) is a 400 at `path`.
 */
export function decodeCursor(cursor: string, regions: readonly string[], path: string): Record<string, number> {
  const bad = (why: string) =>
    new AppError("validation_failed", `${path}: ${why}`, { status: 400, issues: [{ path, message: `${why}; start again without it` }] });
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw bad("not a cursor this API gave");
  }
  const { v: version, o } = (v && typeof v === "object" ? v : {}) as { v?: unknown; o?: unknown };
  if (version !== 1 || !o || typeof o !== "object" || Array.isArray(o)) throw bad("not a cursor this API gave");
  const entries = Object.entries(o);
  if (entries.length !== regions.length || !regions.every((r) => Object.hasOwn(o, r)))
    throw bad(`the cursor pages the regions ${Object.keys(o).join(", ")}, this listing ${regions.join(", ")}`);
  for (const [, n] of entries) if (!Number.isInteger(n) || (n as number) < 0 || (n as number) > 1_000_000) throw bad("not a cursor this API gave");
  return o as Record<string, number>;
}
