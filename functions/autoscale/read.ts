// What autoscale reads from Batch for one evaluation, and nothing else: demand is never kept in
// memory (a new container, or a dry run, reads and decides the same). One evaluation reads the
// account's work once (the jobs that wait or run, and the ones that ended within the look-back),
// then each env it evaluates (its nodes, its creation info, its latest activities). The only
// thing kept across evaluations is what Batch never changes: which env each task of a job was
// placed with (DescribeJobSubmitInfo), so a job is asked that once per container.
//
// Calls (README, "Autoscale"): per evaluation, 1 + the pages of unfinished jobs + at most
// HISTORY_PAGES pages of ended ones, DescribeJobSubmitInfo once per job per container, and one
// DescribeTask page per 100 instances of each task placed with an opted-in env; per env,
// DescribeComputeEnv, DescribeComputeEnvCreateInfo and 1–2 pages of DescribeComputeEnvActivities.
import type { ComputeEnvView, JobView } from "../../shared/batch/models";
import type { AutoscaleBatch } from "./batch";
import { recentActivities } from "../../shared/batch/activities";
import { collectAll } from "../../shared/batch/paging";
import { isAppError } from "../../shared/errors";
import { parseBatchTime } from "../../shared/schemas/batch-time";
import { envInstanceTypes } from "../../shared/schemas/instance-types";
import type { BatchRead, TaskRead } from "./snapshot";

/** Jobs that still wait or run (their instances are demand or busy nodes). */
export const UNFINISHED_JOB_STATES = ["SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING"];
/** Jobs that ended: their instances' end times say since when a node is idle. */
export const ENDED_JOB_STATES = ["SUCCEED", "FAILED", "FAILED_INTERRUPTED"];
/** Pages (100 jobs each) of ended jobs read per evaluation, newest first. */
export const HISTORY_PAGES = 5;
/**
 * Ended jobs created up to this long before the look-back are read too: a job created before the
 * look-back that ended within it ran on a node that is not idle since the look-back's start.
 */
export const HISTORY_SLACK_MS = 3_600_000;
const PAGE = 100;

/** The account's work as autoscale needs it: tasks by the env they were placed with. */
export interface WorkRead {
  tasksByEnv: ReadonlyMap<string, TaskRead[]>;
  /** The instance history is complete from this time on (epoch ms); see snapshot.ts BatchRead. */
  instancesSince: number;
  /** Batch calls this read made (the audit and the bench count them). */
  calls: number;
  /** The jobs that waited or ran when read (a scale-down checks none has arrived since). */
  unfinishedJobIds: ReadonlySet<string>;
}

type Placement = {
  tasks: Array<{ name: string; envId?: string | undefined; maxConcurrent?: number | undefined; dependent: boolean }>;
  /** An ended job's tasks as read, under its EndTime. */
  ended?: { at: string; tasks: TaskRead[] } | undefined;
};

/** Which env each task of a job was placed with: Batch never changes it, so it is kept per container. */
export class PlacementCache {
  private readonly map = new Map<string, Placement>();
  constructor(private readonly max = 5000) {}
  get(jobId: string): Placement | undefined {
    return this.map.get(jobId);
  }
  set(jobId: string, p: Placement): void {
    if (this.map.size >= this.max) this.map.delete(this.map.keys().next().value as string);
    this.map.set(jobId, p);
  }
}

/** A job's tasks that are not yet runnable only because they were just submitted: as good as RUNNABLE. */
const ARRIVING = new Set(["SUBMITTED", "PENDING"]);

/**
 * Thrown when the deadline passes while the work is read: the placements learnt so far are kept
 * (PlacementCache), so the next evaluation gets further.
 */
export class OutOfTime extends Error {}

/**
 * The work placed with `envIds`: every unfinished job's tasks, and those of jobs that ended at or
 * after `now - lookBackMs` (read newest first, at most HISTORY_PAGES pages, back to HISTORY_SLACK_MS
 * before the look-back). A job that ended keeps its instances: they are kept per container with
 * its placement. When the pages run out first, the history is complete only from the oldest job
 * read plus HISTORY_SLACK_MS (a job created before it and not read ended by then, if it ran at most
 * that long): `instancesSince` says so, and nodes then count as idle from that time at the earliest.
 * Instances of a task with no dependence that are still SUBMITTED or PENDING (just submitted) count
 * as waiting (RUNNABLE): Batch is about to place them. A job gone between the list and its reads
 * is left out. Past `deadline` (epoch ms) it throws OutOfTime.
 */
export async function readWork(
  port: AutoscaleBatch,
  envIds: ReadonlySet<string>,
  now: number,
  lookBackMs: number,
  cache: PlacementCache,
  deadline = Number.POSITIVE_INFINITY,
): Promise<WorkRead> {
  let calls = 0;
  const counted = <T>(p: Promise<T>): Promise<T> => {
    if (Date.now() >= deadline) throw new OutOfTime(`out of time reading the jobs (${calls} Batch calls made; the job placements learnt are kept for the next evaluation)`);
    calls++;
    return p;
  };
  const unfinished = await collectAll((offset, limit) =>
    counted(port.listJobs({ filters: [{ Name: "job-state", Values: UNFINISHED_JOB_STATES }], offset, limit })),
  );
  const lookBackFrom = now - lookBackMs;
  const horizon = lookBackFrom - HISTORY_SLACK_MS;
  const ended: JobView[] = [];
  let instancesSince = lookBackFrom;
  for (let p = 0; ; p++) {
    const page = await counted(port.listJobs({ filters: [{ Name: "job-state", Values: ENDED_JOB_STATES }], offset: p * PAGE, limit: PAGE }));
    ended.push(...page.items);
    const created = page.items.map((j) => parseBatchTime(j.CreateTime)).filter((t): t is number => t !== undefined);
    const oldest = created.length > 0 ? Math.min(...created) : undefined;
    if (page.items.length < PAGE || (p + 1) * PAGE >= page.total || (oldest !== undefined && oldest < horizon)) break;
    if (p + 1 >= HISTORY_PAGES) {
      // Not covered: complete only from the oldest job read on, plus the longest job assumed.
      instancesSince = Math.min(now, Math.max(lookBackFrom, (oldest ?? now) + HISTORY_SLACK_MS));
      break;
    }
  }
  const recent = ended.filter((j) => (parseBatchTime(j.EndTime) ?? now) >= lookBackFrom);

  const tasksByEnv = new Map<string, TaskRead[]>();
  const add = (envId: string, t: TaskRead) => {
    const list = tasksByEnv.get(envId) ?? [];
    list.push(t);
    tasksByEnv.set(envId, list);
  };
  for (const job of [...unfinished, ...recent]) {
    const endedAt = ENDED_JOB_STATES.includes(job.JobState) ? (job.EndTime ?? "") : undefined;
    try {
      let placement = cache.get(job.JobId);
      if (!placement) {
        const info = await counted(port.getJobSubmitInfo(job.JobId));
        const dependent = new Set(((info as { Dependences?: Array<{ EndTask?: string | null }> | null }).Dependences ?? []).map((d) => d.EndTask ?? ""));
        placement = {
          tasks: (info.Tasks ?? []).map((t) => ({
            name: t.TaskName ?? "",
            envId: t.EnvId ?? undefined,
            maxConcurrent: t.MaxConcurrentNum ?? undefined,
            dependent: dependent.has(t.TaskName ?? ""),
          })),
        };
        cache.set(job.JobId, placement);
      }
      // An ended job's instances do not change until it is retried (then it is unfinished again,
      // and ends with another EndTime): kept per container under that EndTime.
      if (endedAt !== undefined && placement.ended?.at === endedAt) {
        for (const t of placement.ended.tasks) if (t.EnvId && envIds.has(t.EnvId)) add(t.EnvId, t);
        continue;
      }
      const read: TaskRead[] = [];
      for (const t of placement.tasks) {
        if (!t.envId || !envIds.has(t.envId) || !t.name) continue;
        const instances = await collectAll(async (offset, limit) => {
          const d = await counted(port.getTask(job.JobId, t.name, { offset, limit }));
          return { items: d.TaskInstanceSet, total: d.TaskInstanceTotalCount };
        });
        const task: TaskRead = {
          EnvId: t.envId,
          MaxConcurrentNum: t.maxConcurrent,
          TaskInstanceSet: instances.map((i) => ({
            TaskInstanceState: !t.dependent && ARRIVING.has(i.TaskInstanceState) ? "RUNNABLE" : i.TaskInstanceState,
            ComputeNodeInstanceId: i.ComputeNodeInstanceId,
            EndTime: i.EndTime,
          })),
        };
        read.push(task);
        add(t.envId, task);
      }
      if (endedAt !== undefined) placement.ended = { at: endedAt, tasks: read };
    } catch (e) {
      if (e instanceof OutOfTime) throw e;
      // Deleted (or unreadable) since the list: its instances are no demand; a node it ran on is
      // judged by its slots, never terminated while busy.
      if (isAppError(e) && e.status === 404) continue;
      throw e;
    }
  }
  return { tasksByEnv, instancesSince, calls, unfinishedJobIds: new Set(unfinished.map((j) => j.JobId)) };
}

/** What snapshotOf needs of one env (its work read once per evaluation by readWork). */
export async function readEnv(port: AutoscaleBatch, view: Pick<ComputeEnvView, "EnvId">, work: WorkRead): Promise<{ read: BatchRead; calls: number }> {
  const [env, info, acts] = await Promise.all([port.getEnv(view.EnvId), port.getEnvCreateInfo(view.EnvId), recentActivities(port, view.EnvId)]);
  return {
    read: {
      env,
      instanceTypes: envInstanceTypes(info, env.Placement.Zone),
      description: info.EnvDescription,
      activities: acts.items,
      tasks: work.tasksByEnv.get(view.EnvId) ?? [],
      instancesSince: work.instancesSince,
    },
    calls: 2 + acts.calls,
  };
}
