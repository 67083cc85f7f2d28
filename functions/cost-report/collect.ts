// Reads what the report needs through the Batch port: envs, their nodes, activities and
// instance types; jobs and their task instances. Pages are walked with collectAll (Limit
// 100) and reduced to compact records page by page, so 30 days of activities for
// thousands of nodes fit in SCF's memory. What cannot be read becomes a data gap.
import type { Activity, ComputeEnv, ComputeEnvView, JobView, TaskInstanceView } from "../../shared/batch/models";
import type { CostBatch } from "./batch";
import { regionOfZone } from "../../shared/schemas/zone";
import { envInstanceTypes } from "../../shared/schemas/instance-types";
import { collectAll } from "../../shared/batch/paging";
import type { Logger } from "../../shared/log";
import { pool } from "../../shared/pool";
import { parseBatchTime } from "../../shared/schemas/batch-time";
import type { ActivityInput, CostInputs, DataGap, EnvInput, InstanceInput, JobInput } from "./model";
import { wholeSeconds } from "./zones";

export interface CollectOptions {
  /** Task instances are read for jobs alive at some point in [jobsFrom, now]. */
  jobsFrom: number;
  now: number;
  /** How many envs / jobs are read at once (the adapter's limiter paces each action). */
  concurrency?: number;
  logger?: Logger | undefined;
}

/** The served regions and their Batch ports (shared/batch/regions.ts). */
export interface CostRegions {
  readonly names: readonly string[];
  port(region: string): CostBatch;
}

/** A Batch time (shared/schemas/batch-time.ts) at Batch's own resolution, whole seconds; absent when unparsable. */
export function parseTime(v: string | null | undefined): number | undefined {
  const t = parseBatchTime(v);
  return t === undefined ? undefined : wholeSeconds(t);
}

const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Shares one copy of strings that repeat across 100k activities (states, causes). */
function interner(): (s: string) => string {
  const seen = new Map<string, string>();
  return (s) => {
    const hit = seen.get(s);
    if (hit !== undefined) return hit;
    if (seen.size < 10_000) seen.set(s, s);
    return s;
  };
}

function compactActivity(a: Activity, intern: (s: string) => string): ActivityInput {
  const t = a.ComputeNodeActivityType.toUpperCase();
  return {
    activityId: a.ActivityId,
    nodeId: a.ComputeNodeId,
    instanceId: a.InstanceId ?? undefined,
    type: t === "CREATE" ? "CREATE" : t === "DESTROY" ? "DESTROY" : "OTHER",
    state: intern(a.ActivityState.toUpperCase()),
    start: parseTime(a.StartTime),
    end: parseTime(a.EndTime),
    cause: intern(`${a.Cause ?? ""} ${a.StateReason ?? ""}`.trim()),
  };
}

async function readEnv(port: CostBatch, view: ComputeEnvView, gaps: DataGap[], log?: Logger): Promise<EnvInput> {
  const zone = view.Placement.Zone;
  const env: EnvInput = {
    envId: view.EnvId,
    envName: view.EnvName,
    zone,
    region: regionOfZone(zone),
    createdAt: parseTime(view.CreateTime),
    instanceTypes: [],
    nodes: [],
    activities: [],
    tags: (view.Tags ?? []).map((t) => ({ key: t.Key, value: t.Value })),
  };
  const gap = (code: string, message: string, e: unknown) => {
    log?.warn("cost data gap", { code, env_id: env.envId, error: messageOf(e) });
    gaps.push({ code, envId: env.envId, message: `${message}: ${messageOf(e)}`, scope: "window" });
  };

  try {
    const detail: ComputeEnv = await port.getEnv(env.envId);
    env.nodes = detail.ComputeNodeSet.map((n) => ({
      nodeId: n.ComputeNodeId,
      instanceId: n.ComputeNodeInstanceId ?? undefined,
      state: n.ComputeNodeState,
      cpu: n.Cpu,
      memGiB: n.Mem,
      createdAt: parseTime(n.ResourceCreatedTime),
    }));
  } catch (e) {
    env.nodesUnknown = true;
    gap("env_nodes_unreadable", `the current nodes of ${env.envId} could not be read; nodes without a DESTROY activity count only until their creation (a lower bound)`, e);
  }

  try {
    env.instanceTypes = envInstanceTypes(await port.getEnvCreateInfo(env.envId), zone);
    if (env.instanceTypes.length === 0) throw new Error("its creation request names no instance type");
  } catch (e) {
    gap("env_type_unknown", `the instance type of ${env.envId} could not be read, its nodes are unpriced`, e);
  }

  try {
    const seen = new Set<string>();
    const intern = interner();
    let total = 0;
    const acts = await collectAll(async (offset, limit) => {
      const page = await port.listEnvActivities(env.envId, { offset, limit });
      total = page.total;
      // Reduce each page at once: full Activity objects for 150k activities would not fit.
      return { items: page.items.map((a) => compactActivity(a, intern)), total: page.total };
    });
    for (const a of acts) {
      if (seen.has(a.activityId)) continue; // a page boundary that moved while paging
      seen.add(a.activityId);
      env.activities.push(a);
    }
    if (env.activities.length < total) {
      gaps.push({
        code: "activities_incomplete",
        envId: env.envId,
        message: `${env.envId}: read ${env.activities.length} of ${total} activities (the list changed while paging)`,
        scope: "window",
      });
    }
  } catch (e) {
    gap("activities_unreadable", `the activities of ${env.envId} could not be read; nodes destroyed before the run are missing`, e);
  }
  return env;
}

function compactInstance(taskName: string, i: TaskInstanceView): InstanceInput {
  return {
    taskName,
    index: i.TaskInstanceIndex,
    state: i.TaskInstanceState,
    nodeInstanceId: i.ComputeNodeInstanceId ?? undefined,
    start: parseTime(i.RunningTime) ?? parseTime(i.LaunchTime),
    end: parseTime(i.EndTime),
  };
}

async function readJob(port: CostBatch, view: JobView, gaps: DataGap[], log?: Logger): Promise<JobInput | undefined> {
  try {
    const detail = await port.getJob(view.JobId);
    const instances: InstanceInput[] = [];
    for (const task of detail.TaskSet) {
      let total = 0;
      const list = await collectAll(async (offset, limit) => {
        const t = await port.getTask(view.JobId, task.TaskName, { offset, limit });
        total = t.TaskInstanceTotalCount;
        return { items: t.TaskInstanceSet.map((i) => compactInstance(task.TaskName, i)), total: t.TaskInstanceTotalCount };
      });
      if (list.length < total) {
        gaps.push({ code: "instances_incomplete", jobId: view.JobId, message: `${view.JobId}/${task.TaskName}: read ${list.length} of ${total} task instances`, scope: "window" });
      }
      instances.push(...list);
    }
    const tags = detail.Tags ?? view.Tags ?? [];
    return { jobId: view.JobId, jobName: detail.JobName ?? view.JobName ?? "", tags: tags.map((t) => ({ key: t.Key, value: t.Value })), instances };
  } catch (e) {
    log?.warn("cost data gap", { code: "job_unreadable", job_id: view.JobId, error: messageOf(e) });
    gaps.push({ code: "job_unreadable", jobId: view.JobId, message: `job ${view.JobId} could not be read; its busy time is counted as idle: ${messageOf(e)}`, scope: "window" });
    return undefined;
  }
}

/**
 * Everything the cost core reads. Throws only when the list of envs itself cannot be
 * read (there is no report without it); anything else becomes a data gap.
 */
export async function collectCostInputs(port: CostBatch, opts: CollectOptions): Promise<CostInputs> {
  const gaps: DataGap[] = [];
  const n = opts.concurrency ?? 4;
  const views = await collectAll((offset, limit) => port.listEnvs({ offset, limit }));
  const envs = await pool(views, n, (v) => readEnv(port, v, gaps, opts.logger));

  let jobViews: JobView[] = [];
  try {
    jobViews = await collectAll((offset, limit) => port.listJobs({ offset, limit }));
  } catch (e) {
    opts.logger?.warn("cost data gap", { code: "jobs_unreadable", error: messageOf(e) });
    gaps.push({ code: "jobs_unreadable", message: `the job list could not be read; busy time is counted as idle: ${messageOf(e)}`, scope: "window" });
  }
  // Only jobs that may have run in [jobsFrom, now]: created before now, not ended before jobsFrom.
  const relevant = jobViews.filter((j) => {
    const created = parseTime(j.CreateTime);
    const ended = parseTime(j.EndTime);
    return (created === undefined || created <= opts.now) && (ended === undefined || ended >= opts.jobsFrom);
  });
  const jobs = (await pool(relevant, n, (v) => readJob(port, v, gaps, opts.logger))).filter((j): j is JobInput => j !== undefined);
  return { envs, jobs, jobsFrom: opts.jobsFrom, gaps };
}

/**
 * Every served region's inputs, read at once (each region has its own quotas), as one. A region
 * whose envs cannot be listed is a data gap naming it (the report is partial, never silently
 * smaller); every gap of a region names it. Throws only when no region could be read.
 */
export async function collectAcrossRegions(regions: CostRegions, opts: CollectOptions): Promise<CostInputs> {
  const several = regions.names.length > 1;
  const read = await Promise.allSettled(
    regions.names.map((region) => collectCostInputs(regions.port(region), { ...opts, logger: several ? opts.logger?.child({ region }) : opts.logger })),
  );
  const first = read[0];
  if (read.every((r) => r.status === "rejected")) throw (first as PromiseRejectedResult).reason;
  const out: CostInputs = { envs: [], jobs: [], jobsFrom: opts.jobsFrom, gaps: [], regions: regions.names };
  for (const [i, r] of read.entries()) {
    const region = regions.names[i]!;
    if (r.status === "fulfilled") {
      out.envs.push(...r.value.envs);
      out.jobs.push(...r.value.jobs);
      for (const g of r.value.gaps) out.gaps.push({ ...g, region });
      continue;
    }
    opts.logger?.warn("cost data gap", { code: "region_unreadable", region, error: messageOf(r.reason) });
    out.gaps.push({
      code: "region_unreadable",
      region,
      message: `region ${region} could not be read (its compute environments could not be listed); none of its cost is in this report: ${messageOf(r.reason)}`,
      scope: "window",
    });
  }
  return out;
}
