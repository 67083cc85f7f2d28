// Step 6: the month to date (the calendar month of the window's end, in the report's
// zone) and its run-rate projection.
import type { EnvInput, MonthReport } from "./model";
import { type Acc, round } from "./sums";
import { formatBatchTime } from "../../shared/schemas/batch-time";
import type { ReportSpan } from "./window";

/** Month-to-date cost × month length ÷ elapsed time; the actual cost while no time has elapsed. */
export function projector(span: ReportSpan): (actual: number) => number {
  const { month, mtdTo } = span;
  const elapsed = mtdTo - month.from;
  return (actual) => (elapsed > 0 ? (actual * (month.to - month.from)) / elapsed : actual);
}

/** Sum of the month's cost over every env, unrounded. */
export const monthTotal = (byEnv: ReadonlyMap<string, Acc>): number => [...byEnv.values()].reduce((s, a) => s + a.cost, 0);

/** The month's cost of the envs in `region`, unrounded: its section of the report and its budget. */
export const regionMonthCost = (envs: readonly EnvInput[], region: string, byEnv: ReadonlyMap<string, Acc>): number =>
  envs.reduce((sum, e) => (e.region === region ? sum + (byEnv.get(e.envId)?.cost ?? 0) : sum), 0);

export interface MonthCosts {
  /** Per env id. */
  byEnv: ReadonlyMap<string, Acc>;
  /** Per job tag `key=value`. */
  byTag: ReadonlyMap<string, number>;
  /** Jobs were read since the month's start, so `byTag` covers the whole month to date. */
  tagsCovered: boolean;
}

export function monthReport(envs: readonly EnvInput[], costs: MonthCosts, span: ReportSpan): MonthReport {
  const { month, mtdTo } = span;
  const project = projector(span);
  const total = monthTotal(costs.byEnv);
  return {
    month: month.month,
    from: formatBatchTime(month.from),
    to: formatBatchTime(month.to),
    actualTo: formatBatchTime(mtdTo),
    actualCost: round(total),
    projectedCost: round(project(total)),
    byEnv: envs
      .map((env) => {
        const c = costs.byEnv.get(env.envId)?.cost ?? 0;
        return { envId: env.envId, envName: env.envName, actualCost: round(c), projectedCost: round(project(c)) };
      })
      .sort((a, b) => b.actualCost - a.actualCost || a.envId.localeCompare(b.envId)),
    byTag: costs.tagsCovered
      ? [...costs.byTag.entries()]
          .map(([k, c]) => {
            const i = k.indexOf("=");
            return { key: k.slice(0, i), value: k.slice(i + 1), actualCost: round(c), projectedCost: round(project(c)) };
          })
          .sort((a, b) => b.actualCost - a.actualCost || a.key.localeCompare(b.key))
      : [],
  };
}
