// The cost core: a pure function of what Batch said, the prices, the budgets and a clock.
// cost = cores × seconds alive × rate, per node, clipped to the window, then aggregated
// (OpenCost's shape); idle = provisioned − busy; month-to-date and a run-rate projection.
import type { Alert } from "../../shared/alerts";
import { type Budgets, DEFAULT_THRESHOLDS } from "./budgets";
import { type NodeLife, nodeLives } from "./lifetimes";
import {
  type BudgetStatus,
  type CostInputs,
  type CostReport,
  type CostRow,
  type DataGap,
  type EnvReport,
  type GroupReport,
  type JobReport,
  REPORT_KIND,
  REPORT_VERSION,
  type Summary,
} from "./model";
import { intervalCost, type PriceTable, type Rate, rateFor } from "../../shared/prices";
import { daysOf, isoSeconds, monthOf, type ReportWindow } from "./window";

export interface ComputeOptions {
  window: ReportWindow;
  now: number;
  prices: PriceTable;
  budgets: Budgets;
  /** Alert when an env has nodes but ran nothing for this many hours (0 or undefined: off). */
  idleAlertHours?: number | undefined;
}

/** Core-seconds and money, summed exactly as seconds and rounded only on output. */
interface Acc {
  nodeSec: number;
  coreSec: number;
  busyCoreSec: number;
  wasteCoreSec: number;
  unpricedCoreSec: number;
  cost: number;
  busyCost: number;
  wasteCost: number;
}

const emptyAcc = (): Acc => ({ nodeSec: 0, coreSec: 0, busyCoreSec: 0, wasteCoreSec: 0, unpricedCoreSec: 0, cost: 0, busyCost: 0, wasteCost: 0 });

function addAcc(into: Acc, a: Acc): void {
  into.nodeSec += a.nodeSec;
  into.coreSec += a.coreSec;
  into.busyCoreSec += a.busyCoreSec;
  into.wasteCoreSec += a.wasteCoreSec;
  into.unpricedCoreSec += a.unpricedCoreSec;
  into.cost += a.cost;
  into.busyCost += a.busyCost;
  into.wasteCost += a.wasteCost;
}

export const round = (v: number, digits = 4): number => {
  const f = 10 ** digits;
  const r = Math.round((v + Number.EPSILON * Math.sign(v)) * f) / f;
  return Object.is(r, -0) ? 0 : r;
};

export function summarize(a: Acc): Summary {
  const idleSec = Math.max(0, a.coreSec - a.busyCoreSec);
  const idleCost = Math.max(0, a.cost - a.busyCost);
  return {
    nodeHours: round(a.nodeSec / 3600),
    coreHours: round(a.coreSec / 3600),
    busyCoreHours: round(a.busyCoreSec / 3600),
    idleCoreHours: round(idleSec / 3600),
    wasteCoreHours: round(a.wasteCoreSec / 3600),
    unpricedCoreHours: round(a.unpricedCoreSec / 3600),
    cost: round(a.cost),
    busyCost: round(a.busyCost),
    idleCost: round(idleCost),
    wasteCost: round(a.wasteCost),
    idlePercent: a.coreSec > 0 ? round((idleSec / a.coreSec) * 100, 2) : 0,
  };
}

type Interval = [number, number];

function mergeIntervals(list: Interval[]): Interval[] {
  if (list.length < 2) return list;
  list.sort((x, y) => x[0] - y[0]);
  const out: Interval[] = [];
  for (const iv of list) {
    const last = out[out.length - 1];
    if (last && iv[0] <= last[1]) last[1] = Math.max(last[1], iv[1]);
    else out.push([iv[0], iv[1]]);
  }
  return out;
}

interface Priced {
  life: NodeLife;
  rate: Rate | undefined;
  /** Merged busy intervals inside the node's life. */
  busy: Interval[];
}

/** Adds one node's numbers over [p0, p1) to `acc`. */
function accumulate(p: Priced, p0: number, p1: number, acc: Acc): void {
  const { life, rate } = p;
  const a = Math.max(p0, life.start);
  const b = Math.min(p1, life.end);
  if (b <= a) return;
  const sec = (b - a) / 1000;
  let busySec = 0;
  let busyCost = 0;
  for (const [s, e] of p.busy) {
    if (e <= a) continue;
    if (s >= b) break;
    const lo = Math.max(s, a);
    const hi = Math.min(e, b);
    busySec += (hi - lo) / 1000;
    if (rate) busyCost += intervalCost(rate, life.start, lo, hi);
  }
  acc.nodeSec += sec;
  acc.coreSec += sec * life.cores;
  acc.busyCoreSec += busySec * life.cores;
  if (!rate) {
    acc.unpricedCoreSec += sec * life.cores;
    if (life.unhealthy) acc.wasteCoreSec += (sec - busySec) * life.cores;
    return;
  }
  const cost = intervalCost(rate, life.start, a, b);
  acc.cost += cost;
  acc.busyCost += busyCost;
  if (life.unhealthy) {
    acc.wasteCoreSec += (sec - busySec) * life.cores;
    acc.wasteCost += cost - busyCost;
  }
}

const RUNNING_STATES = new Set(["RUNNING", "STARTING"]);
const tagOf = (tags: Array<{ key: string; value: string }>, key: string) => tags.find((t) => t.key === key)?.value;

export function computeCostReport(inputs: CostInputs, opts: ComputeOptions): CostReport {
  const { window: w, prices } = opts;
  const now = Math.floor(opts.now / 1000) * 1000;
  const countedTo = Math.max(w.from, Math.min(w.to, now));
  const month = monthOf(w.to - 1, w.timeZone);
  const mtdTo = Math.max(month.from, Math.min(countedTo, month.to));
  const days = daysOf(w);
  const gaps: DataGap[] = [...inputs.gaps];

  // 1. Node lifetimes per env.
  const lives: NodeLife[] = [];
  const envMeta = new Map<string, { failedCreations: number }>();
  const periods = { windowFrom: w.from, windowTo: w.to, monthFrom: month.from };
  for (const env of inputs.envs) {
    const r = nodeLives(env, now, periods);
    lives.push(...r.lives);
    gaps.push(...r.gaps);
    envMeta.set(env.envId, { failedCreations: r.failedCreations });
  }
  const envById = new Map(inputs.envs.map((e) => [e.envId, e]));

  // 2. Prices per node.
  const rateCache = new Map<string, Rate | undefined>();
  const unpricedTypes = new Set<string>();
  let tiersApplied = false;
  const priced: Priced[] = lives.map((life) => {
    const region = envById.get(life.envId)?.region ?? "";
    const key = `${life.instanceType}\u0000${region}\u0000${life.cores}`;
    if (!rateCache.has(key)) rateCache.set(key, rateFor(prices, life.instanceType, region, life.cores));
    const rate = rateCache.get(key);
    if (!rate && life.cores > 0) unpricedTypes.add(life.instanceType);
    if (rate?.tiered) tiersApplied = true;
    return { life, rate, busy: [] };
  });

  // 3. Busy time: task instances placed on a node of an env (by CVM instance id).
  const byInstance = new Map<string, Priced[]>();
  for (const p of priced) {
    if (!p.life.instanceId) continue;
    const list = byInstance.get(p.life.instanceId);
    if (list) list.push(p);
    else byInstance.set(p.life.instanceId, [p]);
  }
  interface Placed {
    p: Priced | undefined;
    s: number;
    e: number;
  }
  const placedByJob = new Map<string, Placed[]>();
  for (const job of inputs.jobs) {
    const placed: Placed[] = [];
    for (const inst of job.instances) {
      if (inst.start === undefined) continue;
      const s = inst.start;
      let e = inst.end ?? (RUNNING_STATES.has(inst.state) ? now : s);
      e = Math.min(e, now);
      if (e <= s) continue;
      const candidates = inst.nodeInstanceId ? byInstance.get(inst.nodeInstanceId) : undefined;
      const p = candidates?.find((c) => s < c.life.end && e > c.life.start) ?? candidates?.[0];
      if (p) {
        const lo = Math.max(s, p.life.start);
        const hi = Math.min(e, p.life.end);
        if (hi > lo) p.busy.push([lo, hi]);
      }
      placed.push({ p, s, e });
    }
    placedByJob.set(job.jobId, placed);
  }
  for (const p of priced) p.busy = mergeIntervals(p.busy);

  // 4. Per day, env and instance type.
  const rowAcc = new Map<string, { date: string; envId: string; type: string; priced: boolean; acc: Acc }>();
  const envAcc = new Map<string, Acc>();
  const envDayAcc = new Map<string, Map<string, Acc>>();
  const monthEnv = new Map<string, Acc>();
  for (const p of priced) {
    const { life } = p;
    for (const d of days) {
      if (d.to <= life.start || d.from >= life.end) continue;
      const key = `${d.date}\u0000${life.envId}\u0000${life.instanceType}`;
      let row = rowAcc.get(key);
      if (!row) {
        row = { date: d.date, envId: life.envId, type: life.instanceType, priced: p.rate !== undefined, acc: emptyAcc() };
        rowAcc.set(key, row);
      }
      const dayAcc = emptyAcc();
      accumulate(p, d.from, Math.min(d.to, countedTo), dayAcc);
      addAcc(row.acc, dayAcc);
      let perDay = envDayAcc.get(life.envId);
      if (!perDay) {
        perDay = new Map();
        envDayAcc.set(life.envId, perDay);
      }
      const dAcc = perDay.get(d.date) ?? emptyAcc();
      addAcc(dAcc, dayAcc);
      perDay.set(d.date, dAcc);
    }
    const e = envAcc.get(life.envId) ?? emptyAcc();
    accumulate(p, w.from, countedTo, e);
    envAcc.set(life.envId, e);
    const m = monthEnv.get(life.envId) ?? emptyAcc();
    accumulate(p, month.from, mtdTo, m);
    monthEnv.set(life.envId, m);
  }

  const rows: CostRow[] = [...rowAcc.values()]
    .filter((r) => r.acc.nodeSec > 0)
    .map((r) => {
      const env = envById.get(r.envId);
      return {
        date: r.date,
        envId: r.envId,
        envName: env?.envName ?? "",
        region: env?.region ?? "",
        instanceType: r.type,
        priced: r.priced,
        ...summarize(r.acc),
      };
    })
    .sort((a, b) => a.date.localeCompare(b.date) || a.envId.localeCompare(b.envId) || a.instanceType.localeCompare(b.instanceType));

  const totalAcc = emptyAcc();
  const envs: EnvReport[] = inputs.envs.map((env) => {
    const acc = envAcc.get(env.envId) ?? emptyAcc();
    addAcc(totalAcc, acc);
    const envLives = lives.filter((l) => l.envId === env.envId);
    const perDay = envDayAcc.get(env.envId);
    return {
      envId: env.envId,
      envName: env.envName,
      region: env.region,
      zone: env.zone,
      instanceTypes: env.instanceTypes,
      tags: env.tags,
      summary: summarize(acc),
      days: days.map((d) => {
        const s = summarize(perDay?.get(d.date) ?? emptyAcc());
        return { date: d.date, cost: s.cost, coreHours: s.coreHours, idleCoreHours: s.idleCoreHours };
      }),
      nodes: {
        counted: envLives.filter((l) => l.start < countedTo && l.end > w.from).length,
        aliveNow: envLives.filter((l) => l.aliveNow).length,
        unhealthy: envLives.filter((l) => l.unhealthy && l.start < countedTo && l.end > w.from).length,
        failedCreations: envMeta.get(env.envId)?.failedCreations ?? 0,
      },
    };
  });
  envs.sort((a, b) => b.summary.cost - a.summary.cost || a.envId.localeCompare(b.envId));

  // 5. Jobs, submitters and tags: the core-hours and cost of their task instances.
  const jobs: JobReport[] = [];
  const monthByTag = new Map<string, number>();
  for (const job of inputs.jobs) {
    let coreSec = 0;
    let cost = 0;
    let unpricedSec = 0;
    let outside = 0;
    let instances = 0;
    const envIds = new Set<string>();
    for (const { p, s, e } of placedByJob.get(job.jobId) ?? []) {
      if (!p) {
        if (s < countedTo && e > w.from) outside++;
        continue;
      }
      const lo = Math.max(s, w.from, p.life.start);
      const hi = Math.min(e, countedTo, p.life.end);
      if (hi > lo) {
        instances++;
        envIds.add(p.life.envId);
        const cs = ((hi - lo) / 1000) * p.life.cores;
        coreSec += cs;
        if (p.rate) cost += intervalCost(p.rate, p.life.start, lo, hi);
        else unpricedSec += cs;
      }
      const mlo = Math.max(s, month.from, p.life.start);
      const mhi = Math.min(e, mtdTo, p.life.end);
      if (mhi > mlo && p.rate) {
        const mc = intervalCost(p.rate, p.life.start, mlo, mhi);
        for (const t of job.tags) monthByTag.set(`${t.key}=${t.value}`, (monthByTag.get(`${t.key}=${t.value}`) ?? 0) + mc);
      }
    }
    if (instances === 0 && outside === 0) continue;
    jobs.push({
      jobId: job.jobId,
      jobName: job.jobName,
      submitter: tagOf(job.tags, "submitter") ?? "(untagged)",
      tags: job.tags,
      envIds: [...envIds].sort(),
      instances,
      coreHours: round(coreSec / 3600),
      cost: round(cost),
      unpricedCoreHours: round(unpricedSec / 3600),
      outsideEnvInstances: outside,
    });
  }
  jobs.sort((a, b) => b.cost - a.cost || b.coreHours - a.coreHours || a.jobId.localeCompare(b.jobId));
  const outsideTotal = jobs.reduce((n, j) => n + j.outsideEnvInstances, 0);

  const group = (keyOf: (j: JobReport) => Array<{ key: string; value: string }>): GroupReport[] => {
    const m = new Map<string, GroupReport & { coreRaw: number; costRaw: number }>();
    for (const j of jobs) {
      for (const t of keyOf(j)) {
        const k = `${t.key}=${t.value}`;
        const g = m.get(k) ?? { key: t.key, value: t.value, jobs: 0, coreHours: 0, cost: 0, coreRaw: 0, costRaw: 0 };
        g.jobs++;
        g.coreRaw += j.coreHours;
        g.costRaw += j.cost;
        m.set(k, g);
      }
    }
    return [...m.values()]
      .map(({ coreRaw, costRaw, ...g }) => ({ ...g, coreHours: round(coreRaw), cost: round(costRaw) }))
      .sort((a, b) => b.cost - a.cost || a.key.localeCompare(b.key) || a.value.localeCompare(b.value));
  };
  const bySubmitter = group((j) => [{ key: "submitter", value: j.submitter }]);
  const byTag = group((j) => j.tags);

  // 6. Month to date and run-rate projection.
  const elapsed = mtdTo - month.from;
  const project = (actual: number) => (elapsed > 0 ? (actual * (month.to - month.from)) / elapsed : actual);
  const monthTotal = [...monthEnv.values()].reduce((s, a) => s + a.cost, 0);
  const tagsCovered = inputs.jobsFrom <= month.from;
  const monthReport: CostReport["month"] = {
    month: month.month,
    from: isoSeconds(month.from),
    to: isoSeconds(month.to),
    actualTo: isoSeconds(mtdTo),
    actualCost: round(monthTotal),
    projectedCost: round(project(monthTotal)),
    byEnv: inputs.envs
      .map((env) => {
        const c = monthEnv.get(env.envId)?.cost ?? 0;
        return { envId: env.envId, envName: env.envName, actualCost: round(c), projectedCost: round(project(c)) };
      })
      .sort((a, b) => b.actualCost - a.actualCost || a.envId.localeCompare(b.envId)),
    byTag: tagsCovered
      ? [...monthByTag.entries()]
          .map(([k, c]) => {
            const i = k.indexOf("=");
            return { key: k.slice(0, i), value: k.slice(i + 1), actualCost: round(c), projectedCost: round(project(c)) };
          })
          .sort((a, b) => b.actualCost - a.actualCost || a.key.localeCompare(b.key))
      : [],
  };

  // 7. Budgets and alerts.
  const alerts: Alert[] = [];
  const budgets: BudgetStatus[] = [];
  const evaluate = (scope: BudgetStatus["scope"], name: string, budget: { monthly: number; thresholds?: BudgetStatus["crossed"] | undefined }, actual: number) => {
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
    budgets.push(status);
    for (const t of crossed) {
      alerts.push({
        kind: t.on === "actual" ? "budget.actual" : "budget.projected",
        severity: t.percent >= 100 ? "critical" : "warning",
        summary: `${scope} budget ${name}: ${t.on} ${round(t.on === "actual" ? actual : projected, 2)} ${prices.currency} is at or over ${t.percent}% of ${budget.monthly} ${prices.currency} for ${month.month}`,
        details: { scope, name, monthly: budget.monthly, on: t.on, percent: t.percent, actual: status.actual, projected: status.projected, month: month.month },
      });
    }
  };
  if (opts.budgets.total) evaluate("total", "total", opts.budgets.total, monthTotal);
  for (const [name, b] of Object.entries(opts.budgets.envs)) {
    const env = inputs.envs.find((e) => e.envId === name || e.envName === name);
    if (!env) {
      gaps.push({ code: "budget_env_unknown", message: `COST_BUDGETS.envs names ${name}, which is no compute environment that could be read`, scope: "month" });
      continue;
    }
    evaluate("env", name, b, monthEnv.get(env.envId)?.cost ?? 0);
  }
  for (const [name, b] of Object.entries(opts.budgets.tags)) {
    if (!tagsCovered) {
      gaps.push({ code: "budget_tags_uncovered", message: `tag budget ${name} needs jobs since the month's start, which were not read`, scope: "month" });
      continue;
    }
    evaluate("tag", name, b, monthByTag.get(name) ?? 0);
  }

  const idleHours = opts.idleAlertHours ?? 0;
  if (idleHours > 0) {
    const lookFrom = now - idleHours * 3_600_000;
    if (inputs.jobsFrom > lookFrom) {
      gaps.push({ code: "idle_uncovered", message: `jobs since ${isoSeconds(lookFrom)} were not read; the idle check was skipped`, scope: "window" });
    } else {
      for (const env of inputs.envs) {
        const envPriced = priced.filter((p) => p.life.envId === env.envId);
        const alive = envPriced.filter((p) => p.life.aliveNow);
        if (alive.length === 0 || !alive.some((p) => p.life.start <= lookFrom)) continue;
        const ranSomething = envPriced.some((p) => p.busy.some(([s, e]) => e > lookFrom && s < now));
        if (ranSomething) continue;
        alerts.push({
          kind: "cost.idle_env",
          severity: "warning",
          summary: `env ${env.envName} (${env.envId}) has ${alive.length} node(s) but ran nothing for ${idleHours} hours`,
          details: { envId: env.envId, envName: env.envName, nodes: alive.length, hours: idleHours, since: isoSeconds(lookFrom) },
        });
      }
    }
  }

  if (outsideTotal > 0) {
    gaps.push({
      code: "instances_outside_envs",
      message: `${outsideTotal} task instance(s) ran on nodes outside the reported compute environments (anonymous ComputeEnv); their jobs show them but no cost for them`,
      scope: "month",
    });
  }

  return {
    kind: REPORT_KIND,
    version: REPORT_VERSION,
    generatedAt: isoSeconds(now),
    window: { from: isoSeconds(w.from), to: isoSeconds(w.to), timeZone: w.timeZone, countedTo: isoSeconds(countedTo), days: days.map((d) => d.date) },
    partial: gaps.some((g) => g.scope === "window"),
    currency: prices.currency,
    totals: summarize(totalAcc),
    envs,
    rows,
    jobs,
    bySubmitter,
    byTag,
    month: monthReport,
    budgets,
    alerts,
    assumptions: {
      priceSource: prices.source,
      currency: prices.currency,
      tiersApplied,
      unpricedInstanceTypes: [...unpricedTypes].sort(),
      timeZone: w.timeZone,
      rules: {
        cost: "cores × seconds alive × price, per node, clipped to the window to the second",
        lifetime:
          "from the node's ResourceCreatedTime (or its CREATE activity) to its DESTROY activity's end, or to now while it lives",
        busy: "seconds covered by task instances (RunningTime, else LaunchTime, to EndTime or now) on the node; idle = provisioned − busy",
        waste: "idle core-hours of nodes that are ABNORMAL or were destroyed as abnormal, inactive or failed",
        tiers: "a tier's price applies to the hours of a node's life (counted from its creation) inside that tier",
        projection: "month-to-date cost × month length ÷ elapsed time (run rate)",
        days: `local days in ${w.timeZone}`,
      },
      dataGaps: gaps,
    },
  };
}
