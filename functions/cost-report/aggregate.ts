// Step 4: the nodes' numbers summed per local day, env and instance type (the CSV rows),
// per env over the window and month to date, and the env sections of the report.
import type { CostRow, DataGap, EnvInput, EnvReport, RegionReport } from "./model";
import { projector, regionMonthCost } from "./month";
import type { BusyNode } from "./nodes";
import { type Acc, accumulate, addAcc, emptyAcc, round, summarize } from "./sums";
import type { ReportSpan } from "./window";

export interface DaySums {
  /** One per day, env and instance type with node-hours, by day, env, type. */
  rows: CostRow[];
  /** Per env id, per `YYYY-MM-DD`. */
  envDays: Map<string, Map<string, Acc>>;
}

/** Each node's time in each local day of the window, counted up to `countedTo`. */
export function daySums(nodes: readonly BusyNode[], envs: readonly EnvInput[], span: ReportSpan): DaySums {
  const rowAcc = new Map<string, { date: string; envId: string; type: string; priced: boolean; acc: Acc }>();
  const envDays = new Map<string, Map<string, Acc>>();
  for (const p of nodes) {
    const { life } = p;
    for (const d of span.days) {
      if (d.to <= life.start || d.from >= life.end) continue;
      const key = `${d.date}\u0000${life.envId}\u0000${life.instanceType}`;
      let row = rowAcc.get(key);
      if (!row) {
        row = { date: d.date, envId: life.envId, type: life.instanceType, priced: p.rate !== undefined, acc: emptyAcc() };
        rowAcc.set(key, row);
      }
      const dayAcc = emptyAcc();
      accumulate(p, d.from, Math.min(d.to, span.countedTo), dayAcc);
      addAcc(row.acc, dayAcc);
      let perDay = envDays.get(life.envId);
      if (!perDay) {
        perDay = new Map();
        envDays.set(life.envId, perDay);
      }
      const dAcc = perDay.get(d.date) ?? emptyAcc();
      addAcc(dAcc, dayAcc);
      perDay.set(d.date, dAcc);
    }
  }
  const envById = new Map(envs.map((e) => [e.envId, e]));
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
  return { rows, envDays };
}

export interface EnvSums {
  /** Per env id, over the window up to `countedTo`. */
  window: Map<string, Acc>;
  /** Per env id, month to date. */
  month: Map<string, Acc>;
}

export function envSums(nodes: readonly BusyNode[], span: ReportSpan): EnvSums {
  const out: EnvSums = { window: new Map(), month: new Map() };
  for (const p of nodes) {
    const envId = p.life.envId;
    const e = out.window.get(envId) ?? emptyAcc();
    accumulate(p, span.window.from, span.countedTo, e);
    out.window.set(envId, e);
    const m = out.month.get(envId) ?? emptyAcc();
    accumulate(p, span.month.from, span.mtdTo, m);
    out.month.set(envId, m);
  }
  return out;
}

export interface EnvSections {
  /** Costliest first. */
  envs: EnvReport[];
  /** The window's sum over every env. */
  totals: Acc;
}

/** One section per env: its summary, its days and its node counts. */
export function envSections(
  envs: readonly EnvInput[],
  nodes: readonly BusyNode[],
  windowSums: ReadonlyMap<string, Acc>,
  envDays: ReadonlyMap<string, ReadonlyMap<string, Acc>>,
  failedCreations: ReadonlyMap<string, number>,
  span: ReportSpan,
): EnvSections {
  const { window: w, countedTo, days } = span;
  const totals = emptyAcc();
  const sections: EnvReport[] = envs.map((env) => {
    const acc = windowSums.get(env.envId) ?? emptyAcc();
    addAcc(totals, acc);
    const envLives = nodes.filter((p) => p.life.envId === env.envId).map((p) => p.life);
    const perDay = envDays.get(env.envId);
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
        failedCreations: failedCreations.get(env.envId) ?? 0,
      },
    };
  });
  sections.sort((a, b) => b.summary.cost - a.summary.cost || a.envId.localeCompare(b.envId));
  return { envs: sections, totals };
}

/**
 * One section per region: the sums of its envs over the window and the month (exact sums, so
 * the regions add up to the totals), the served regions first, in order, then any other region
 * an env is in. A region is unread when a `region_unreadable` gap names it, partial when a
 * window gap names it or one of its envs.
 */
export function regionSections(
  served: readonly string[] | undefined,
  envs: readonly EnvInput[],
  sums: EnvSums,
  gaps: readonly DataGap[],
  span: ReportSpan,
): RegionReport[] {
  const project = projector(span);
  const names = [...new Set([...(served ?? []), ...envs.map((e) => e.region).sort()])];
  return names.map((region) => {
    const inRegion = envs.filter((e) => e.region === region);
    const ids = new Set(inRegion.map((e) => e.envId));
    const acc = emptyAcc();
    for (const env of inRegion) addAcc(acc, sums.window.get(env.envId) ?? emptyAcc());
    const month = regionMonthCost(envs, region, sums.month);
    const mine = gaps.filter((g) => g.region === region || (g.envId !== undefined && ids.has(g.envId)));
    return {
      region,
      read: !mine.some((g) => g.code === "region_unreadable"),
      partial: mine.some((g) => g.scope === "window"),
      envs: inRegion.length,
      summary: summarize(acc),
      month: { actualCost: round(month), projectedCost: round(project(month)) },
    };
  });
}
