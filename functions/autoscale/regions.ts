// Autoscale over the served regions (BATCH_REGIONS): each region is evaluated as one (evaluate.ts)
// with its own Batch port (its own quotas), its own placements (job ids are a region's) and log
// lines naming it; the timer runs every region at once and adds the counts up.
import type { BatchRegions } from "../../shared/batch/regions";
import type { AutoscaleBatch } from "./batch";
import { type EvaluateDeps, type EvaluationResult, evaluate } from "./evaluate";
import { PlacementCache } from "./read";

export type RegionDeps = (region: string) => EvaluateDeps;

/** Each served region's EvaluateDeps, made on first use and kept (the placements live as long as the container). */
export function perRegion(deps: Omit<EvaluateDeps, "batch" | "placements">, regions: BatchRegions<AutoscaleBatch>): RegionDeps {
  const made = new Map<string, EvaluateDeps>();
  return (region) => {
    let d = made.get(region);
    if (!d) {
      d = { ...deps, batch: regions.port(region), placements: new PlacementCache(), logger: deps.logger.child({ region }) };
      made.set(region, d);
    }
    return d;
  };
}

/**
 * Every opted-in env of every served region, the regions at once. A region whose envs cannot be
 * listed does not stop the others: it is named in `failed` (the caller throws after logging, so SCF
 * marks the run failed; the next minute's run reads again either way).
 */
export async function evaluateRegions(
  inRegion: RegionDeps,
  names: readonly string[],
  opts: { now: number; deadline?: number },
): Promise<Omit<EvaluationResult, "envs"> & { failed: string[] }> {
  const runs = await Promise.allSettled(names.map((r) => evaluate(inRegion(r), opts)));
  const sum = { evaluated: 0, changed: 0, skipped: 0, dryRun: inRegion(names[0]!).dryRun, calls: 0, failed: [] as string[] };
  runs.forEach((run, i) => {
    if (run.status === "rejected") sum.failed.push(`${names[i]}: ${run.reason instanceof Error ? run.reason.message : String(run.reason)}`);
    else for (const k of ["evaluated", "changed", "skipped", "calls"] as const) sum[k] += run.value[k];
  });
  return sum;
}
