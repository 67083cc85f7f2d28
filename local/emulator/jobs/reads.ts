// The read actions: DescribeJob(s), DescribeJobSubmitInfo, DescribeTask, DescribeTaskLogs.
import { JOB_ID } from "../../../shared/schemas/ids";
import { regionOfZone } from "../../../shared/schemas/zone";
import { ApiError, type EmuContext } from "../context";
import { exclusive, matchesFilters, optFilters, page, paging, tagFilterValues } from "../paging";
import { type InstanceRecord, iso, type JobRecord, type TaskRecord } from "../state";
import { checkKnownKeys, fail, type Obj, optArr, optIdList, optInt } from "../validate";
import { getJob, getTask, jobIdOf } from "./lookup";
import { planOf, redirectsOf, str, type TaskPlan } from "./plan";
import { INSTANCE_STATES, JOB_STATES, metrics } from "./states";

export const time = (ms: number | null): string | null => (ms === null ? null : iso(ms));

const taskMetrics = (job: JobRecord) => metrics(job.tasks.map((t) => t.state));
const instanceMetrics = (instances: readonly InstanceRecord[]) => metrics(instances.map((i) => i.state));

function jobView(job: JobRecord): Obj {
  return {
    JobId: job.id,
    JobName: job.name,
    JobState: job.state,
    Priority: job.priority,
    Placement: { Zone: job.zone },
    CreateTime: iso(job.createdAt),
    EndTime: time(job.endAt),
    TaskMetrics: taskMetrics(job),
    Tags: job.tags,
  };
}

function describeJob(ctx: EmuContext, req: Obj): Obj {
  checkKnownKeys(req, ["JobId"]);
  const job = getJob(ctx, jobIdOf(req.JobId));
  return {
    JobId: job.id,
    JobName: job.name,
    Zone: job.zone,
    Priority: job.priority,
    JobState: job.state,
    CreateTime: iso(job.createdAt),
    EndTime: time(job.endAt),
    TaskSet: job.tasks.map((t) => ({ TaskName: t.name, TaskState: t.state, CreateTime: iso(t.createdAt), EndTime: time(t.endAt) })),
    DependenceSet: job.dependences,
    TaskMetrics: taskMetrics(job),
    TaskInstanceMetrics: instanceMetrics(job.tasks.flatMap((t) => t.instances)),
    StateReason: job.stateReason,
    Tags: job.tags,
    NextAction: job.terminating ? "TERMINATE" : null,
  };
}

const JOB_FILTERS = ["job-id", "job-name", "job-state", "zone", "tag-key", "tag-value"] as const;

function jobFilterValues(j: JobRecord, name: string): string[] {
  if (name === "job-id") return [j.id];
  if (name === "job-name") return [j.name];
  if (name === "job-state") return [j.state];
  if (name === "zone") return [j.zone];
  return tagFilterValues(j.tags, name);
}

function describeJobs(ctx: EmuContext, req: Obj): Obj {
  checkKnownKeys(req, ["JobIds", "Filters", "Offset", "Limit"]);
  exclusive(req, "JobIds", "Filters");
  const ids = optIdList(req.JobIds, "JobIds", JOB_ID, "InvalidParameter.JobIdMalformed");
  const filters = optFilters(req.Filters, "Filters", JOB_FILTERS, { tagFilters: true });
  filters?.forEach((f, i) => {
    if (f.Name === "job-state")
      for (const v of f.Values)
        if (!(JOB_STATES as readonly string[]).includes(v))
          fail("InvalidParameterValue.InvalidFilter", `Filters.${i}.Values`, `${v} is not a job state; known: ${JOB_STATES.join(", ")}`);
    if (f.Name === "zone")
      for (const v of f.Values)
        if (regionOfZone(v) !== ctx.region) fail("InvalidZone.MismatchRegion", `Filters.${i}.Values`, `zone ${v} is not in the request's region ${ctx.region}`);
  });
  const p = paging(req);
  const all = [...ctx.store.jobs.values()]
    .filter((j) => j.region === ctx.region)
    .filter((j) => !ids || ids.includes(j.id))
    .filter((j) => matchesFilters(filters, (name) => jobFilterValues(j, name)))
    .sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? -1 : 1));
  return { JobSet: page(all, p).map(jobView), TotalCount: all.length };
}

function describeJobSubmitInfo(ctx: EmuContext, req: Obj): Obj {
  checkKnownKeys(req, ["JobId"]);
  const job = getJob(ctx, jobIdOf(req.JobId));
  const s = job.submitted;
  return {
    JobId: job.id,
    JobName: str(s.JobName) ?? job.name,
    JobDescription: str(s.JobDescription) ?? job.description,
    Priority: job.priority,
    Tasks: Array.isArray(s.Tasks) ? s.Tasks : [],
    Dependences: Array.isArray(s.Dependences) ? s.Dependences : [],
    Tags: job.tags,
  };
}

function redirectInfo(plan: TaskPlan, job: JobRecord, task: TaskRecord, index: number): Obj {
  const { stdout, stderr } = redirectsOf(plan, job, task, index);
  return {
    StdoutRedirectPath: stdout?.path ?? null,
    StderrRedirectPath: stderr?.path ?? null,
    StdoutRedirectFileName: stdout?.name ?? null,
    StderrRedirectFileName: stderr?.name ?? null,
  };
}

function describeTask(ctx: EmuContext, req: Obj): Obj {
  checkKnownKeys(req, ["JobId", "TaskName", "Offset", "Limit", "Filters"]);
  const job = getJob(ctx, jobIdOf(req.JobId));
  const task = getTask(job, req.TaskName);
  const filters = optFilters(req.Filters, "Filters", ["task-instance-state"]);
  filters?.forEach((f, i) => {
    for (const v of f.Values)
      if (!INSTANCE_STATES.includes(v))
        fail("InvalidParameterValue.InvalidFilter", `Filters.${i}.Values`, `${v} is not a task instance state; known: ${INSTANCE_STATES.join(", ")}`);
  });
  const p = paging(req, { limit: 100, max: 1000 });
  const plan = planOf(job, task);
  const matching = task.instances.filter((i) => matchesFilters(filters, () => [i.state]));
  return {
    JobId: job.id,
    TaskName: task.name,
    TaskState: task.state,
    CreateTime: iso(task.createdAt),
    EndTime: time(task.endAt),
    TaskInstanceTotalCount: matching.length,
    TaskInstanceSet: page(matching, p).map((i) => ({
      TaskInstanceIndex: i.index,
      TaskInstanceState: i.state,
      ExitCode: i.exitCode,
      StateReason: i.stateReason,
      ComputeNodeInstanceId: i.nodeInstanceId,
      CreateTime: iso(i.createdAt),
      LaunchTime: time(i.launchAt),
      RunningTime: time(i.runningAt),
      EndTime: time(i.endAt),
      RedirectInfo: redirectInfo(plan, job, task, i.index),
      StateDetailedReason: i.stateReason,
    })),
    TaskInstanceMetrics: instanceMetrics(task.instances),
  };
}

function describeTaskLogs(ctx: EmuContext, req: Obj): Obj {
  checkKnownKeys(req, ["JobId", "TaskName", "TaskInstanceIndexes", "Offset", "Limit"]);
  const job = getJob(ctx, jobIdOf(req.JobId));
  const task = getTask(job, req.TaskName);
  exclusive(req, "TaskInstanceIndexes", "Offset");
  const p = paging(req, { limit: 5, max: 10 });
  const rawIndexes = optArr(req.TaskInstanceIndexes, "TaskInstanceIndexes", 10);
  let chosen: InstanceRecord[];
  let total: number;
  if (rawIndexes) {
    chosen = rawIndexes.map((v, k) => {
      const idx = optInt(v, `TaskInstanceIndexes.${k}`, { min: 0 });
      const inst = task.instances.find((i) => i.index === idx);
      if (!inst) throw new ApiError("ResourceNotFound.TaskInstance", `TaskInstanceIndexes.${k}: task ${task.name} has no instance ${String(v)}`);
      return inst;
    });
    total = chosen.length;
    chosen = chosen.slice(0, p.limit);
  } else {
    chosen = page(task.instances, p);
    total = task.instances.length;
  }
  const plan = planOf(job, task);
  const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");
  return {
    TotalCount: total,
    TaskInstanceLogSet: chosen.map((i) => ({
      TaskInstanceIndex: i.index,
      StdoutLog: b64(i.stdoutTail),
      StderrLog: b64(i.stderrTail),
      ...redirectInfo(plan, job, task, i.index),
    })),
  };
}

export const readActions = {
  DescribeJob: describeJob,
  DescribeJobs: describeJobs,
  DescribeJobSubmitInfo: describeJobSubmitInfo,
  DescribeTask: describeTask,
  DescribeTaskLogs: describeTaskLogs,
};
