// buildCostReport: gather through the Batch port, then compute. This function's timer and
// its GET /costs?from=&to= (its own Function URL, not the envs function) both call this;
// rendering is separate.
import type { CostBatch } from "./batch";
import { AppError } from "../../shared/errors";
import type { Logger } from "../../shared/log";
import { type Budgets, hasTagBudgets, NO_BUDGETS } from "./budgets";
import { collectAcrossRegions, collectCostInputs, type CostRegions } from "./collect";
import { computeCostReport } from "./compute";
import type { CostReport } from "./model";
import type { CostConfig } from "./config";
import type { PriceTable } from "../../shared/prices";
import { DEFAULT_TIME_ZONE, monthOf, type ReportWindow } from "./window";
import { wholeSeconds } from "./zones";

/** Where the report reads: one Batch port, or the served regions (BATCH_REGIONS), one report across them. */
export interface CostSource {
  batch?: CostBatch | undefined;
  regions?: CostRegions | undefined;
}

export interface CostReportDeps extends CostSource {
  prices: PriceTable;
  budgets?: Budgets | undefined;
  clock?: (() => Date) | undefined;
  timeZone?: string | undefined;
  idleAlertHours?: number | undefined;
  logger?: Logger | undefined;
  concurrency?: number | undefined;
}

export interface CostQuery {
  from: Date | number;
  to: Date | number;
  now?: Date | number | undefined;
}

const ms = (v: Date | number) => (typeof v === "number" ? v : v.getTime());

export async function buildCostReport(deps: CostReportDeps, q: CostQuery): Promise<CostReport> {
  // Whole seconds, as the computation counts them: a millisecond `now` would put the jobs read
  // (from now − IDLE_ALERT_HOURS) a fraction after what the idle check needs, and mark every
  // scheduled report partial.
  const now = wholeSeconds(q.now !== undefined ? ms(q.now) : (deps.clock?.() ?? new Date()).getTime());
  const window: ReportWindow = { from: ms(q.from), to: ms(q.to), timeZone: deps.timeZone ?? DEFAULT_TIME_ZONE };
  const budgets = deps.budgets ?? NO_BUDGETS;
  const idle = deps.idleAlertHours ?? 0;
  let jobsFrom = Math.min(window.from, now);
  if (idle > 0) jobsFrom = Math.min(jobsFrom, now - idle * 3_600_000);
  // Tag budgets need every job of the month so far; without them the window is enough.
  if (hasTagBudgets(budgets)) jobsFrom = Math.min(jobsFrom, monthOf(window.to - 1, window.timeZone).from);
  const opts = { jobsFrom, now, concurrency: deps.concurrency, logger: deps.logger };
  if (!deps.regions && !deps.batch) throw new AppError("internal_error", "a cost report needs a Batch port or the served regions", { status: 500, expose: false });
  const inputs = deps.regions ? await collectAcrossRegions(deps.regions, opts) : await collectCostInputs(deps.batch!, opts);
  return computeCostReport(inputs, { window, now, prices: deps.prices, budgets, idleAlertHours: idle });
}

/** The report for a window with the function's configuration (the timer and GET /costs alike). */
export function reportWithConfig(
  deps: CostSource & { config: Pick<CostConfig, "prices" | "budgets" | "idleAlertHours" | "timeZone">; logger: Logger },
  window: ReportWindow,
  now: number | Date,
): Promise<CostReport> {
  const { prices, budgets, timeZone, idleAlertHours } = deps.config;
  const source = { batch: deps.batch, regions: deps.regions };
  return buildCostReport({ ...source, prices, budgets, timeZone, idleAlertHours, logger: deps.logger }, { from: window.from, to: window.to, now });
}
