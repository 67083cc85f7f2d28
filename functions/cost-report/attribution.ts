// Step 5: jobs, submitters and tags, each credited with the core-hours and cost of the
// task instances it ran on the reported envs' nodes.
import { intervalCost } from "../../shared/prices";
import type { GroupReport, JobInput, JobReport } from "./model";
import type { Placement } from "./nodes";
import { round } from "./sums";
import type { ReportSpan } from "./window";

type Tag = { key: string; value: string };

const tagOf = (tags: readonly Tag[], key: string) => tags.find((t) => t.key === key)?.value;

export interface JobCosts {
  /** Jobs that ran something in the window, costliest first. */
  jobs: JobReport[];
  /** Month-to-date cost per job tag `key=value`, unrounded. */
  monthByTag: Map<string, number>;
}

export function jobCosts(jobs: readonly JobInput[], placements: ReadonlyMap<string, readonly Placement[]>, span: ReportSpan): JobCosts {
  const { window: w, countedTo, month, mtdTo } = span;
  const out: JobReport[] = [];
  const monthByTag = new Map<string, number>();
  for (const job of jobs) {
    let coreSec = 0;
    let cost = 0;
    let unpricedSec = 0;
    let outside = 0;
    let instances = 0;
    const envIds = new Set<string>();
    for (const { node: p, start: s, end: e } of placements.get(job.jobId) ?? []) {
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
    out.push({
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
  out.sort((a, b) => b.cost - a.cost || b.coreHours - a.coreHours || a.jobId.localeCompare(b.jobId));
  return { jobs: out, monthByTag };
}

/** Jobs summed per `key=value` that `keyOf` names for each job, costliest first. */
export function groupJobs(jobs: readonly JobReport[], keyOf: (j: JobReport) => readonly Tag[]): GroupReport[] {
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
}
