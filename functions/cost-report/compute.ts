// The cost core: a pure function of what Batch said, the prices, the budgets and a clock.
// cost = cores × seconds alive × rate, per node, clipped to the window, then aggregated
// (OpenCost's shape); idle = provisioned − busy; month-to-date and a run-rate projection.
import type { PriceTable } from "../../shared/prices";
import { daySums, envSections, envSums, regionSections } from "./aggregate";
import { groupJobs, jobCosts } from "./attribution";
import type { Budgets } from "./budgets";
import { checkBudgets, idleEnvs, outsideEnvGaps } from "./checks";
import { type Assumptions, type CostInputs, type CostReport, type DataGap, REPORT_KIND, REPORT_VERSION } from "./model";
import { type MonthCosts, monthReport } from "./month";
import { lifetimesOf, placeInstances, priceNodes } from "./nodes";
import { summarize } from "./sums";
import { formatBatchTime } from "../../shared/schemas/batch-time";
import { type ReportWindow, reportSpan } from "./window";

export interface ComputeOptions {
  window: ReportWindow;
  now: number;
  prices: PriceTable;
  budgets: Budgets;
  /** Alert when an env has nodes but ran nothing for this many hours (0 or undefined: off). */
  idleAlertHours?: number | undefined;
}

export function computeCostReport(inputs: CostInputs, opts: ComputeOptions): CostReport {
  const span = reportSpan(opts.window, opts.now);
  const { window: w, now, month } = span;
  const lifetimes = lifetimesOf(inputs.envs, now, { windowFrom: w.from, windowTo: w.to, monthFrom: month.from });
  const priced = priceNodes(lifetimes.lives, inputs.envs, opts.prices);
  const { nodes, placements } = placeInstances(priced.nodes, inputs.jobs, now);

  const days = daySums(nodes, inputs.envs, span);
  const sums = envSums(nodes, span);
  const envs = envSections(inputs.envs, nodes, sums.window, days.envDays, lifetimes.failedCreations, span);
  const jobs = jobCosts(inputs.jobs, placements, span);

  const costs: MonthCosts = { byEnv: sums.month, byTag: jobs.monthByTag, tagsCovered: inputs.jobsFrom <= month.from };
  const unread = inputs.gaps.filter((g) => g.code === "region_unreadable").map((g) => g.region ?? "");
  const budgets = checkBudgets(opts.budgets, inputs.envs, costs, span, opts.prices.currency, { served: inputs.regions, unread });
  const idle = idleEnvs(inputs.envs, nodes, opts.idleAlertHours ?? 0, now, inputs.jobsFrom);
  const gaps = [...inputs.gaps, ...lifetimes.gaps, ...budgets.gaps, ...idle.gaps, ...outsideEnvGaps(jobs.jobs)];

  return {
    kind: REPORT_KIND,
    version: REPORT_VERSION,
    generatedAt: formatBatchTime(now),
    window: { from: formatBatchTime(w.from), to: formatBatchTime(w.to), timeZone: w.timeZone, countedTo: formatBatchTime(span.countedTo), days: span.days.map((d) => d.date) },
    partial: gaps.some((g) => g.scope === "window"),
    currency: opts.prices.currency,
    totals: summarize(envs.totals),
    regions: regionSections(inputs.regions, inputs.envs, sums, gaps, span),
    envs: envs.envs,
    rows: days.rows,
    jobs: jobs.jobs,
    bySubmitter: groupJobs(jobs.jobs, (j) => [{ key: "submitter", value: j.submitter }]),
    byTag: groupJobs(jobs.jobs, (j) => j.tags),
    month: monthReport(inputs.envs, costs, span),
    budgets: budgets.budgets,
    alerts: [...budgets.alerts, ...idle.alerts],
    assumptions: assumptions(opts.prices, priced, w.timeZone, gaps),
  };
}

/** What the numbers rest on: the prices used and the rules, stated in words. */
export function assumptions(prices: PriceTable, priced: { unpricedTypes: string[]; tiersApplied: boolean }, timeZone: string, dataGaps: DataGap[]): Assumptions {
  return {
    priceSource: prices.source,
    currency: prices.currency,
    tiersApplied: priced.tiersApplied,
    unpricedInstanceTypes: priced.unpricedTypes,
    timeZone,
    rules: {
      cost: "cores × seconds alive × price, per node, clipped to the window to the second",
      lifetime: "from the node's ResourceCreatedTime (or its CREATE activity) to its DESTROY activity's end, or to now while it lives",
      busy: "seconds covered by task instances (RunningTime, else LaunchTime, to EndTime or now) on the node; idle = provisioned − busy",
      waste: "idle core-hours of nodes that are ABNORMAL or were destroyed as abnormal, inactive or failed",
      tiers: "a tier's price applies to the hours of a node's life (counted from its creation) inside that tier",
      projection: "month-to-date cost × month length ÷ elapsed time (run rate)",
      days: `local days in ${timeZone}`,
    },
    dataGaps,
  };
}
