// Step 7: what the report warns about: monthly budgets crossed (actual or projected), envs
// that kept nodes but ran nothing, and task instances it could not price.
import type { Alert } from "../../shared/alerts";
import { type Budgets, DEFAULT_THRESHOLDS } from "./budgets";
import type { BudgetStatus, DataGap, EnvInput, JobReport } from "./model";
import { type MonthCosts, monthTotal, projector, regionMonthCost } from "./month";
import type { BusyNode } from "./nodes";
import { round } from "./sums";
import { formatBatchTime } from "../../shared/schemas/batch-time";
import type { ReportSpan } from "./window";

export interface Findings {
  alerts: Alert[];
  gaps: DataGap[];
}

export interface BudgetChecks extends Findings {
  budgets: BudgetStatus[];
}

type Budget = { monthly: number; thresholds?: BudgetStatus["crossed"] | undefined };

/** The regions the report read (`served`, BATCH_REGIONS) and those it could not. */
export interface RegionsRead {
  served?: readonly string[] | undefined;
  unread: readonly string[];
}

/** Each budget's status, in the order total, regions, envs, tags; an alert per threshold crossed. */
export function checkBudgets(
  budgets: Budgets,
  envs: readonly EnvInput[],
  costs: MonthCosts,
  span: ReportSpan,
  currency: string,
  regions: RegionsRead = { unread: [] },
): BudgetChecks {
  const out: BudgetChecks = { budgets: [], alerts: [], gaps: [] };
  const { month } = span.month;
  const project = projector(span);
  const evaluate = (scope: BudgetStatus["scope"], name: string, budget: Budget, actual: number) => {
    const projected = project(actual);
    const thresholds = budget.thresholds ?? [...DEFAULT_THRESHOLDS];
    const crossed = thresholds.filter((t) => (t.on === "actual" ? actual : projected) >= (budget.monthly * t.percent) / 100);
    const status: BudgetStatus = {
      scope,
      name,
      monthly: budget.monthly,
      actual: round(actual),
      projected: round(projected),
      actualPercent: round((actual / budget.monthly) * 100, 2),
      projectedPercent: round((projected / budget.monthly) * 100, 2),
      crossed,
    };
    out.budgets.push(status);
    for (const t of crossed) {
      out.alerts.push({
        kind: t.on === "actual" ? "budget.actual" : "budget.projected",
        severity: t.percent >= 100 ? "critical" : "warning",
        summary: `${scope} budget ${name}: ${t.on} ${round(t.on === "actual" ? actual : projected, 2)} ${currency} is at or over ${t.percent}% of ${budget.monthly} ${currency} for ${month}`,
        details: { scope, name, monthly: budget.monthly, on: t.on, percent: t.percent, actual: status.actual, projected: status.projected, month },
      });
    }
  };
  if (budgets.total) evaluate("total", "total", budgets.total, monthTotal(costs.byEnv));
  for (const [name, b] of Object.entries(budgets.regions ?? {})) {
    if (regions.unread.includes(name)) {
      out.gaps.push({ code: "budget_region_unread", region: name, message: `region budget ${name} was not checked: the region could not be read`, scope: "month" });
    } else if (!envs.some((e) => e.region === name) && !regions.served?.includes(name)) {
      out.gaps.push({ code: "budget_region_unknown", region: name, message: `COST_BUDGETS.regions names ${name}, a region this report does not read (BATCH_REGIONS)`, scope: "month" });
    } else evaluate("region", name, b, regionMonthCost(envs, name, costs.byEnv));
  }
  for (const [name, b] of Object.entries(budgets.envs)) {
    const env = envs.find((e) => e.envId === name || e.envName === name);
    if (!env) {
      out.gaps.push({ code: "budget_env_unknown", message: `COST_BUDGETS.envs names ${name}, which is no compute environment that could be read`, scope: "month" });
      continue;
    }
    evaluate("env", name, b, costs.byEnv.get(env.envId)?.cost ?? 0);
  }
  for (const [name, b] of Object.entries(budgets.tags)) {
    if (!costs.tagsCovered) {
      out.gaps.push({ code: "budget_tags_uncovered", message: `tag budget ${name} needs jobs since the month's start, which were not read`, scope: "month" });
      continue;
    }
    evaluate("tag", name, b, costs.byTag.get(name) ?? 0);
  }
  return out;
}

/**
 * An alert per env that has had a node alive for the last `hours` and ran nothing on any
 * of its nodes since; skipped (with a gap) when jobs were not read that far back.
 */
export function idleEnvs(envs: readonly EnvInput[], nodes: readonly BusyNode[], hours: number, now: number, jobsFrom: number): Findings {
  const out: Findings = { alerts: [], gaps: [] };
  if (hours <= 0) return out;
  const lookFrom = now - hours * 3_600_000;
  if (jobsFrom > lookFrom) {
    out.gaps.push({ code: "idle_uncovered", message: `jobs since ${formatBatchTime(lookFrom)} were not read; the idle check was skipped`, scope: "window" });
    return out;
  }
  for (const env of envs) {
    const envNodes = nodes.filter((p) => p.life.envId === env.envId);
    const alive = envNodes.filter((p) => p.life.aliveNow);
    if (alive.length === 0 || !alive.some((p) => p.life.start <= lookFrom)) continue;
    if (envNodes.some((p) => p.busy.some(([s, e]) => e > lookFrom && s < now))) continue;
    out.alerts.push({
      kind: "cost.idle_env",
      severity: "warning",
      summary: `env ${env.envName} (${env.envId}) has ${alive.length} node(s) but ran nothing for ${hours} hours`,
      details: { envId: env.envId, envName: env.envName, nodes: alive.length, hours, since: formatBatchTime(lookFrom) },
    });
  }
  return out;
}

/** A gap naming the task instances that ran outside the reported envs, if any did. */
export function outsideEnvGaps(jobs: readonly JobReport[]): DataGap[] {
  const n = jobs.reduce((s, j) => s + j.outsideEnvInstances, 0);
  if (n === 0) return [];
  return [
    {
      code: "instances_outside_envs",
      message: `${n} task instance(s) ran on nodes outside the reported compute environments (anonymous ComputeEnv); their jobs show them but no cost for them`,
      scope: "month",
    },
  ];
}
