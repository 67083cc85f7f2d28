// Jobs: SubmitJob … DescribeTaskLogs, the scheduler (DAG, priorities, retries, timeouts) and
// the runner that executes task commands as local processes.
//
// Behaviour choices where the docs are silent:
// - States: a job is SUBMITTED when accepted, PENDING on the next tick, then RUNNABLE, STARTING,
//   RUNNING as its instances get there; job and task states never move backwards until RetryJobs.
//   An instance is STARTING while it waits for its node (anonymous envs: `anonymousNodeMs`; named
//   envs: one tick after a node was reserved) and RUNNING while its command runs.
// - A task that fails (all retries spent) does not stop independent tasks; tasks depending on it
//   fail as soon as their TaskExecutionDependOn can no longer be met. The job ends when every
//   task has ended: SUCCEED if all succeeded, FAILED_INTERRUPTED if an instance was kept, else FAILED.
// - FailedAction INTERRUPT and FAST_INTERRUPT keep a failed instance (and its node) as
//   FAILED_INTERRUPTED until TerminateJob; TERMINATE (default) ends it as FAILED.
// - MaxRetryCount re-runs a failed instance (command failure, timeout, lost node) up to that many
//   times; only the final outcome sends a TASK_INSTANCE_FAILED event.
// - Redirected output without a file name goes to `${BATCH_JOB_ID}/${BATCH_TASK_NAME}/
//   ${BATCH_TASK_INSTANCE_INDEX}/stdout.log` (stderr.log) under the given path; each attempt
//   overwrites the file. `Commands` (tightly coupled tasks) run one after the other (`&&`) on one node.
// - PACKAGE delivery, Docker, Input/OutputMappings are validated but not emulated: the command
//   runs in a per-instance work dir `<dataDir>/work/<jobId>/<taskName>/<index>`.
// - The task's environment is the emulator's own minus TENCENTCLOUD_SECRETID/SECRETKEY/
//   SESSIONTOKEN, plus BATCH_* and the task's EnvVars.
// - Secrets in the request (Authentications[].SecretKey, Docker/Login passwords) are stored and
//   echoed back by DescribeJobSubmitInfo as "******".
// - Instances of anonymous (per-task MANAGED) envs get one temporary node each; it sends
//   COMPUTE_NODE_CREATED/RUNNING/DELETING to the job's Notifications.
import { rmSync } from "node:fs";
import { join } from "node:path";
import { ENV_ID, JOB_ID } from "../../shared/schemas/ids";
import { IMAGE_ID } from "../../shared/schemas/image";
import { LIMITS } from "../../shared/schemas/limits";
import { SUBMIT_JOB_EVENTS } from "../../shared/schemas/notifications";
import { regionOfZone } from "../../shared/schemas/zone";
import { ApiError, type EmuContext, type EmulatorModule, type TestRoute } from "./context";
import { findEnv, idleNodes } from "./envs";
import { killGroup, Runner, taskEnv } from "./runner";
import type { EnvRecord, InstanceRecord, JobRecord, NodeRecord, TaskRecord } from "./state";
import { iso } from "./state";
import type { Store } from "./store";
import { DEFAULT_STDERR_FILE, DEFAULT_STDOUT_FILE, expandFileName, localPathFor } from "./storage";
import {
  authentications,
  checkKnownKeys,
  checkLocalPath,
  checkRemoteStoragePath,
  clientToken,
  envData,
  exclusive,
  fail,
  inputMappings,
  isObj,
  matchesFilters,
  mountDataDisks,
  notifications,
  notificationTarget,
  type Obj,
  optArr,
  optBool,
  optFilters,
  optIdList,
  optInt,
  optObj,
  optStr,
  outputMappings,
  page,
  paging,
  placement,
  redactSecrets,
  rememberToken,
  replayedResult,
  reqObj,
  reqStr,
  tagFilterValues,
  tags,
} from "./validate";

type JobState = JobRecord["state"];
type InstState = InstanceRecord["state"];

const DEFAULT_TIMEOUT_S = 86_400;
const MAX_INSTANCES_PER_TASK = 5_000;
const DEPEND_ON = ["PRE_TASK_SUCCEED", "PRE_TASK_AT_LEAST_PARTLY_SUCCEED", "PRE_TASK_FINISHED"] as const;
const FAILED_ACTIONS = ["TERMINATE", "INTERRUPT", "FAST_INTERRUPT"] as const;
const JOB_STATES: readonly JobState[] = ["SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING", "SUCCEED", "FAILED", "FAILED_INTERRUPTED"];
const INSTANCE_STATES: readonly string[] = ["SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING", "SUCCEED", "FAILED", "FAILED_INTERRUPTED"];
const ENDED = new Set<string>(["SUCCEED", "FAILED", "FAILED_INTERRUPTED"]);
const RANK: Record<string, number> = { SUBMITTED: 0, PENDING: 1, RUNNABLE: 2, STARTING: 3, RUNNING: 4 };

const JOB_KEYS = [
  "Tasks",
  "JobName",
  "JobDescription",
  "Priority",
  "Dependences",
  "Notifications",
  "TaskExecutionDependOn",
  "StateIfCreateCvmFailed",
  "Tags",
  "NotificationTarget",
] as const;
const TASK_KEYS = [
  "Application",
  "TaskName",
  "TaskInstanceNum",
  "ComputeEnv",
  "EnvId",
  "RedirectInfo",
  "RedirectLocalInfo",
  "InputMappings",
  "OutputMappings",
  "OutputMappingConfigs",
  "EnvVars",
  "Authentications",
  "FailedAction",
  "MaxRetryCount",
  "Timeout",
  "MaxConcurrentNum",
  "RestartComputeNode",
  "ResourceMaxRetryCount",
] as const;

// ── what a stored task spec means ─────────────────────────────────────────────────────

/** A task's spec as validated at SubmitJob, read back from the stored request. */
interface TaskPlan {
  command: string;
  envId: string | undefined;
  /** Anonymous env: what its temporary nodes look like. */
  anon: { instanceType: string; cpu: number; memGiB: number } | undefined;
  maxRetry: number;
  timeoutMs: number;
  failedAction: (typeof FAILED_ACTIONS)[number];
  maxConcurrent: number | undefined;
  envVars: Record<string, string>;
  stdout: { path: string; file: string } | undefined;
  stderr: { path: string; file: string } | undefined;
}

const plans = new WeakMap<Obj, TaskPlan>();

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === "number" ? v : undefined);

function planOf(job: JobRecord, task: TaskRecord): TaskPlan {
  const cached = plans.get(task.spec);
  if (cached) return cached;
  const s = task.spec;
  const app = isObj(s.Application) ? s.Application : {};
  const command = str(app.Command) ?? (Array.isArray(app.Commands) ? app.Commands.map((c) => (isObj(c) ? (str(c.Command) ?? "") : "")).join(" && ") : "");
  const envVars: Record<string, string> = {};
  if (Array.isArray(s.EnvVars)) for (const v of s.EnvVars) if (isObj(v) && typeof v.Name === "string") envVars[v.Name] = str(v.Value) ?? "";
  const ri = isObj(s.RedirectInfo) ? s.RedirectInfo : {};
  const out = str(ri.StdoutRedirectPath);
  const err = str(ri.StderrRedirectPath);
  const ce = isObj(s.ComputeEnv) ? s.ComputeEnv : undefined;
  const plan: TaskPlan = {
    command,
    envId: str(s.EnvId),
    // Validated at SubmitJob, so this answers the same instance type it did then.
    anon: ce ? envData(ce.EnvData, "ComputeEnv.EnvData", job.zone) : undefined,
    maxRetry: num(s.MaxRetryCount) ?? 0,
    timeoutMs: (num(s.Timeout) ?? DEFAULT_TIMEOUT_S) * 1000,
    failedAction: (FAILED_ACTIONS as readonly string[]).includes(str(s.FailedAction) ?? "") ? (s.FailedAction as TaskPlan["failedAction"]) : "TERMINATE",
    maxConcurrent: num(s.MaxConcurrentNum),
    envVars,
    stdout: out ? { path: out, file: str(ri.StdoutRedirectFileName) || DEFAULT_STDOUT_FILE } : undefined,
    stderr: err ? { path: err, file: str(ri.StderrRedirectFileName) || DEFAULT_STDERR_FILE } : undefined,
  };
  plans.set(task.spec, plan);
  return plan;
}

const keyOf = (job: JobRecord, task: TaskRecord, inst: InstanceRecord) => `${job.id}/${task.name}/${inst.index}`;

// ── SubmitJob validation ──────────────────────────────────────────────────────────────

const TASK_NAME = /^[^/\\\u0000]+$/;
const ENV_VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

interface ValidTask {
  name: string;
  spec: Obj;
  instances: number;
}

function validateTask(ctx: EmuContext, raw: unknown, p: string, zone: string, names: Set<string>): ValidTask {
  const t = reqObj(raw, p);
  checkKnownKeys(t, TASK_KEYS, p);
  const name = reqStr(t.TaskName, `${p}.TaskName`, {
    max: LIMITS.taskName,
    tooLongCode: "InvalidParameter.TaskNameTooLong",
    pattern: TASK_NAME,
    patternCode: "InvalidParameter.TaskName",
    patternRule: "a task name may not contain /, \\ or NUL",
  });
  if (name === "." || name === "..") fail("InvalidParameter.TaskName", `${p}.TaskName`, "a task name may not be . or ..");
  if (names.has(name)) fail("InvalidParameter.TaskName", `${p}.TaskName`, `task name ${name} is used twice in this job`);
  names.add(name);

  const app = reqObj(t.Application, `${p}.Application`);
  const form = reqStr(app.DeliveryForm, `${p}.Application.DeliveryForm`, { oneOf: ["PACKAGE", "LOCAL"] });
  const hasCommand = app.Command !== undefined && app.Command !== null;
  const hasCommands = app.Commands !== undefined && app.Commands !== null;
  if (hasCommand === hasCommands)
    fail("InvalidParameter.InvalidParameterCombination", `${p}.Application`, "give exactly one of Command and Commands");
  if (hasCommand) reqStr(app.Command, `${p}.Application.Command`);
  else {
    const cmds = optArr(app.Commands, `${p}.Application.Commands`, 100) ?? [];
    if (cmds.length === 0) fail("InvalidParameterValue", `${p}.Application.Commands`, "needs at least one command");
    cmds.forEach((c, i) => {
      reqStr(reqObj(c, `${p}.Application.Commands.${i}`).Command, `${p}.Application.Commands.${i}.Command`);
    });
  }
  if (form === "PACKAGE") checkRemoteStoragePath(app.PackagePath, `${p}.Application.PackagePath`, ctx.region);
  else if (app.PackagePath !== undefined && app.PackagePath !== null) checkRemoteStoragePath(app.PackagePath, `${p}.Application.PackagePath`, ctx.region);
  const docker = optObj(app.Docker, `${p}.Application.Docker`);
  if (docker) {
    reqStr(docker.Image, `${p}.Application.Docker.Image`);
    optInt(docker.MaxRetryCount, `${p}.Application.Docker.MaxRetryCount`, { min: 0 });
    optInt(docker.DelayOnRetry, `${p}.Application.Docker.DelayOnRetry`, { min: 0 });
  }

  const hasEnvId = t.EnvId !== undefined && t.EnvId !== null;
  const hasEnv = t.ComputeEnv !== undefined && t.ComputeEnv !== null;
  if (hasEnvId === hasEnv)
    fail("AllowedOneAttributeInEnvIdAndComputeEnv", p, "give exactly one of EnvId (an existing compute environment) and ComputeEnv (an anonymous one)");
  if (hasEnvId) {
    const envId = reqStr(t.EnvId, `${p}.EnvId`, { pattern: ENV_ID, patternCode: "InvalidParameter.EnvIdMalformed", patternRule: "an env id looks like env-xxxxxxxx" });
    const env = findEnv(ctx, envId);
    if (!env || env.region !== ctx.region || env.deleting) fail("ResourceNotFound.ComputeEnv", `${p}.EnvId`, `no compute environment ${envId} in ${ctx.region}`);
  } else {
    const ce = reqObj(t.ComputeEnv, `${p}.ComputeEnv`);
    const envType = optStr(ce.EnvType, `${p}.ComputeEnv.EnvType`);
    if (envType !== undefined && envType !== "MANAGED")
      fail("InvalidParameterValue.ComputeEnv", `${p}.ComputeEnv.EnvType`, `an anonymous compute environment is MANAGED (got ${envType})`);
    const data = reqObj(ce.EnvData, `${p}.ComputeEnv.EnvData`);
    if (data.ImageId !== undefined && data.ImageId !== null && (typeof data.ImageId !== "string" || !IMAGE_ID.test(data.ImageId)))
      fail("InvalidParameter.ImageIdMalformed", `${p}.ComputeEnv.EnvData.ImageId`, "an image id looks like img-xxxxxxxx");
    envData(data, `${p}.ComputeEnv.EnvData`, zone);
    mountDataDisks(ce.MountDataDisks, `${p}.ComputeEnv.MountDataDisks`);
  }

  const instances =
    optInt(t.TaskInstanceNum, `${p}.TaskInstanceNum`, { min: 1, belowCode: "InvalidParameterValue", max: MAX_INSTANCES_PER_TASK }) ?? 1;

  const ri = optObj(t.RedirectInfo, `${p}.RedirectInfo`);
  if (ri) {
    for (const stream of ["Stdout", "Stderr"] as const) {
      const pathKey = `${stream}RedirectPath`;
      const fileKey = `${stream}RedirectFileName`;
      const remote = ri[pathKey] === undefined || ri[pathKey] === null ? undefined : checkRemoteStoragePath(ri[pathKey], `${p}.RedirectInfo.${pathKey}`, ctx.region);
      const file = optStr(ri[fileKey], `${p}.RedirectInfo.${fileKey}`, { max: 255 });
      if (remote) {
        const sample = expandFileName(file || (stream === "Stdout" ? DEFAULT_STDOUT_FILE : DEFAULT_STDERR_FILE), { jobId: "job-00000000", taskName: name, index: 0 });
        try {
          localPathFor(ctx.dataDir, remote, sample);
        } catch (e) {
          fail("InvalidParameterValue.RemoteStoragePath", `${p}.RedirectInfo.${file ? fileKey : pathKey}`, (e as Error).message);
        }
      }
    }
  }
  const rli = optObj(t.RedirectLocalInfo, `${p}.RedirectLocalInfo`);
  if (rli) {
    for (const k of ["StdoutLocalPath", "StderrLocalPath"]) if (rli[k] !== undefined && rli[k] !== null) checkLocalPath(rli[k], `${p}.RedirectLocalInfo.${k}`);
    for (const k of ["StdoutLocalFileName", "StderrLocalFileName"]) optStr(rli[k], `${p}.RedirectLocalInfo.${k}`);
  }
  inputMappings(t.InputMappings, `${p}.InputMappings`, ctx.region);
  outputMappings(t.OutputMappings, `${p}.OutputMappings`, ctx.region);
  optArr(t.OutputMappingConfigs, `${p}.OutputMappingConfigs`);
  const envVars = optArr(t.EnvVars, `${p}.EnvVars`) ?? [];
  envVars.forEach((v, i) => {
    const o = reqObj(v, `${p}.EnvVars.${i}`);
    reqStr(o.Name, `${p}.EnvVars.${i}.Name`, { pattern: ENV_VAR_NAME, patternRule: "an environment variable name has letters, digits and _ and does not start with a digit" });
    reqStr(o.Value, `${p}.EnvVars.${i}.Value`, { allowEmpty: true });
  });
  authentications(t.Authentications, `${p}.Authentications`);
  optStr(t.FailedAction, `${p}.FailedAction`, { oneOf: FAILED_ACTIONS });
  optInt(t.MaxRetryCount, `${p}.MaxRetryCount`, { min: 0, belowCode: "InvalidParameterValue.MaxRetryCount" });
  optInt(t.Timeout, `${p}.Timeout`, { min: 1, belowCode: "InvalidParameterValue" });
  optInt(t.MaxConcurrentNum, `${p}.MaxConcurrentNum`, { min: 1, belowCode: "InvalidParameterValue" });
  optBool(t.RestartComputeNode, `${p}.RestartComputeNode`);
  optInt(t.ResourceMaxRetryCount, `${p}.ResourceMaxRetryCount`, { min: 0, max: 100 });

  return { name, spec: redactSecrets(t), instances };
}

/** Dependences name tasks of the job and form no cycle. */
function validateDependences(raw: unknown, names: Set<string>): Array<{ StartTask: string; EndTask: string }> {
  const arr = optArr(raw, "Job.Dependences") ?? [];
  const edges = arr.map((d, i) => {
    const p = `Job.Dependences.${i}`;
    const o = reqObj(d, p);
    const start = reqStr(o.StartTask, `${p}.StartTask`);
    const end = reqStr(o.EndTask, `${p}.EndTask`);
    for (const [k, v] of [
      ["StartTask", start],
      ["EndTask", end],
    ] as const)
      if (!names.has(v)) fail("InvalidParameterValue.DependenceNotFoundTaskName", `${p}.${k}`, `no task named ${v} in this job`);
    if (start === end) fail("InvalidParameterValue.DependenceUnfeasible", p, `task ${start} cannot depend on itself`);
    return { StartTask: start, EndTask: end };
  });
  // Kahn: whatever is left once no task without predecessors remains sits on a cycle.
  const indeg = new Map([...names].map((n) => [n, 0]));
  for (const e of edges) indeg.set(e.EndTask, (indeg.get(e.EndTask) ?? 0) + 1);
  const queue = [...names].filter((n) => indeg.get(n) === 0);
  let seen = 0;
  while (queue.length) {
    const n = queue.shift()!;
    seen++;
    for (const e of edges)
      if (e.StartTask === n) {
        const d = (indeg.get(e.EndTask) ?? 0) - 1;
        indeg.set(e.EndTask, d);
        if (d === 0) queue.push(e.EndTask);
      }
  }
  if (seen < names.size) {
    const cycle = [...names].filter((n) => (indeg.get(n) ?? 0) > 0);
    fail("InvalidParameterValue.DependenceUnfeasible", "Job.Dependences", `the dependences form a cycle through ${cycle.join(", ")}`);
  }
  return edges;
}

function submitJob(ctx: EmuContext, req: Obj): Obj {
  checkKnownKeys(req, ["Placement", "Job", "ClientToken"]);
  const token = clientToken(req.ClientToken);
  const replayed = replayedResult(ctx, "SubmitJob", token, req);
  if (replayed) return { JobId: replayed };
  const { Zone: zone } = placement(req.Placement, "Placement", ctx.region);
  const job = reqObj(req.Job, "Job");
  checkKnownKeys(job, JOB_KEYS, "Job");
  const name = optStr(job.JobName, "Job.JobName", { max: LIMITS.jobName, tooLongCode: "InvalidParameter.JobNameTooLong" }) ?? "";
  const description = optStr(job.JobDescription, "Job.JobDescription", { max: LIMITS.jobDescription, tooLongCode: "InvalidParameter.JobDescriptionTooLong" }) ?? "";
  const priority =
    optInt(job.Priority, "Job.Priority", {
      min: LIMITS.priorityMin,
      max: LIMITS.priorityMax,
      belowCode: "InvalidParameterValue",
      aboveCode: "InvalidParameterValue",
      coerceString: true,
    }) ?? 0;
  const dependOn = optStr(job.TaskExecutionDependOn, "Job.TaskExecutionDependOn", { oneOf: DEPEND_ON }) ?? "PRE_TASK_SUCCEED";
  optStr(job.StateIfCreateCvmFailed, "Job.StateIfCreateCvmFailed", { oneOf: ["FAILED", "RUNNABLE"] });
  const jobTags = tags(job.Tags, "Job.Tags");
  const notes = notifications(job.Notifications, "Job.Notifications", SUBMIT_JOB_EVENTS);
  notificationTarget(job.NotificationTarget, "Job.NotificationTarget");
  if (job.Tasks === undefined || job.Tasks === null) fail("MissingParameter", "Job.Tasks", "is required");
  const rawTasks = optArr(job.Tasks, "Job.Tasks", 100) ?? [];
  if (rawTasks.length === 0) fail("InvalidParameterValue", "Job.Tasks", "needs at least one task");
  const names = new Set<string>();
  const tasks = rawTasks.map((t, i) => validateTask(ctx, t, `Job.Tasks.${i}`, zone, names));
  const dependences = validateDependences(job.Dependences, names);

  let id = ctx.ids.next("job");
  while (ctx.store.jobs.has(id)) id = ctx.ids.next("job");
  const now = ctx.now();
  const record: JobRecord = {
    id,
    name,
    description,
    zone,
    region: ctx.region,
    priority,
    state: "SUBMITTED",
    stateReason: "",
    createdAt: now,
    endAt: null,
    tasks: tasks.map((t) => ({
      name: t.name,
      state: "PENDING",
      createdAt: now,
      endAt: null,
      spec: t.spec,
      instances: Array.from({ length: t.instances }, (_, index) => freshInstance(index, now)),
    })),
    dependences,
    taskExecutionDependOn: dependOn,
    notifications: notes,
    tags: jobTags,
    submitted: redactSecrets({ ...job, Priority: priority }),
    terminating: false,
  };
  ctx.store.saveJob(record);
  rememberToken(ctx, "SubmitJob", token, req, id);
  return { JobId: id };
}

function freshInstance(index: number, now: number): InstanceRecord {
  return {
    index,
    state: "PENDING",
    exitCode: null,
    stateReason: "",
    nodeId: null,
    nodeInstanceId: null,
    createdAt: now,
    launchAt: null,
    runningAt: null,
    endAt: null,
    attempts: 0,
    stdoutTail: "",
    stderrTail: "",
    stdoutRedirect: null,
    stderrRedirect: null,
  };
}

// ── read actions ──────────────────────────────────────────────────────────────────────

function jobIdOf(v: unknown, path = "JobId"): string {
  return reqStr(v, path, { pattern: JOB_ID, patternCode: "InvalidParameter.JobIdMalformed", patternRule: "a job id looks like job-xxxxxxxx" });
}

function getJob(ctx: EmuContext, id: string): JobRecord {
  const job = ctx.store.jobs.get(id);
  if (!job || job.region !== ctx.region) throw new ApiError("ResourceNotFound.Job", `JobId: no job ${id} in ${ctx.region}`);
  return job;
}

function getTask(job: JobRecord, v: unknown): TaskRecord {
  const name = reqStr(v, "TaskName");
  const task = job.tasks.find((t) => t.name === name);
  if (!task) throw new ApiError("ResourceNotFound.Task", `TaskName: job ${job.id} has no task ${name}`);
  return task;
}

const time = (ms: number | null): string | null => (ms === null ? null : iso(ms));

function metrics(states: readonly string[]): Obj {
  const count = (s: string) => states.filter((x) => x === s).length;
  return {
    SubmittedCount: count("SUBMITTED"),
    PendingCount: count("PENDING"),
    RunnableCount: count("RUNNABLE"),
    StartingCount: count("STARTING"),
    RunningCount: count("RUNNING"),
    SucceedCount: count("SUCCEED"),
    FailedInterruptedCount: count("FAILED_INTERRUPTED"),
    FailedCount: count("FAILED"),
  };
}

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
    .filter((j) =>
      matchesFilters(filters, (name) => {
        if (name === "job-id") return [j.id];
        if (name === "job-name") return [j.name];
        if (name === "job-state") return [j.state];
        if (name === "zone") return [j.zone];
        return tagFilterValues(j.tags, name);
      }),
    )
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
  const vars = { jobId: job.id, taskName: task.name, index };
  return {
    StdoutRedirectPath: plan.stdout?.path ?? null,
    StderrRedirectPath: plan.stderr?.path ?? null,
    StdoutRedirectFileName: plan.stdout ? expandFileName(plan.stdout.file, vars) : null,
    StderrRedirectFileName: plan.stderr ? expandFileName(plan.stderr.file, vars) : null,
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

// ── write actions ─────────────────────────────────────────────────────────────────────

function terminateJob(ctx: EmuContext, req: Obj): Obj {
  checkKnownKeys(req, ["JobId"]);
  const job = getJob(ctx, jobIdOf(req.JobId));
  if (job.state === "SUBMITTED")
    throw new ApiError("UnsupportedOperation", `JobId: job ${job.id} is SUBMITTED; it can be terminated once it is PENDING or later.`);
  if (job.state === "SUCCEED" || job.state === "FAILED") return {};
  if (!job.terminating) {
    job.terminating = true;
    ctx.store.saveJob(job);
  }
  return {};
}

function deleteJob(ctx: EmuContext, req: Obj): Obj {
  checkKnownKeys(req, ["JobId"]);
  const job = getJob(ctx, jobIdOf(req.JobId));
  const finished = (s: string) => s === "SUCCEED" || s === "FAILED";
  if (job.terminating || !finished(job.state) || job.tasks.some((t) => t.instances.some((i) => !finished(i.state))))
    throw new ApiError("ResourceInUse.Job", `JobId: job ${job.id} is ${job.state}; only a job whose instances all ended SUCCEED or FAILED can be deleted.`);
  ctx.store.deleteJob(job.id);
  rmSync(join(ctx.dataDir, "work", job.id), { recursive: true, force: true });
  return {};
}

function retryJobs(ctx: EmuContext, req: Obj): Obj {
  checkKnownKeys(req, ["JobIds"]);
  const ids = optIdList(req.JobIds, "JobIds", JOB_ID, "InvalidParameter.JobIdMalformed", 100);
  if (!ids || ids.length === 0) fail("MissingParameter", "JobIds", "needs at least one job id");
  const jobs = ids.map((id) => getJob(ctx, id));
  for (const job of jobs)
    if (job.state !== "FAILED" || job.terminating)
      throw new ApiError("UnsupportedOperation", `JobIds: job ${job.id} is ${job.state}; only FAILED jobs can be retried.`);
  const now = ctx.now();
  for (const job of jobs) {
    for (const task of job.tasks) {
      if (task.instances.every((i) => i.state === "SUCCEED")) continue;
      task.instances = task.instances.map((i) => (i.state === "SUCCEED" ? i : freshInstance(i.index, now)));
      task.state = "PENDING";
      task.endAt = null;
    }
    job.state = "PENDING";
    job.stateReason = "";
    job.endAt = null;
    ctx.store.saveJob(job);
  }
  return {};
}

// ── scheduler ─────────────────────────────────────────────────────────────────────────

interface Runtime {
  runner: Runner;
}

const runtimes = new WeakMap<Store, Runtime>();

function runtime(ctx: EmuContext): Runtime {
  let rt = runtimes.get(ctx.store);
  if (!rt) {
    rt = { runner: new Runner() };
    runtimes.set(ctx.store, rt);
  }
  return rt;
}

const isActive = (job: JobRecord) => job.terminating || !ENDED.has(job.state);

class Step {
  changed = new Set<JobRecord>();
  /** Each env's nodes by id, built on first use: a step (one tick) never adds or removes nodes. */
  private readonly nodesById = new Map<EnvRecord, Map<string, NodeRecord>>();
  constructor(
    readonly ctx: EmuContext,
    readonly rt: Runtime,
  ) {}

  /** The env's node with this id (as `env.nodes.find` would answer), in O(1) after the first call. */
  nodeOf(env: EnvRecord, nodeId: string): NodeRecord | undefined {
    let byId = this.nodesById.get(env);
    if (!byId) {
      byId = new Map();
      for (const n of env.nodes) if (!byId.has(n.id)) byId.set(n.id, n);
      this.nodesById.set(env, byId);
    }
    return byId.get(nodeId);
  }

  jobEvent(job: JobRecord, eventName: string, extra: Obj = {}): void {
    this.ctx.notify(job.notifications, eventName, job.region, { JobId: job.id, JobName: job.name, JobState: job.state, ...extra });
  }

  taskEvent(job: JobRecord, task: TaskRecord, eventName: string, extra: Obj = {}): void {
    this.jobEvent(job, eventName, { TaskName: task.name, TaskState: task.state, ...extra });
  }

  instanceEvent(job: JobRecord, task: TaskRecord, inst: InstanceRecord): void {
    if (!["RUNNING", "SUCCEED", "FAILED", "FAILED_INTERRUPTED"].includes(inst.state)) return;
    this.taskEvent(job, task, `TASK_INSTANCE_${inst.state}`, { TaskInstanceIndex: inst.index, TaskInstanceState: inst.state });
  }

  anonNodeEvent(job: JobRecord, task: TaskRecord, inst: InstanceRecord, eventName: string, state: string): void {
    const anon = planOf(job, task).anon;
    if (!anon || !inst.nodeId) return;
    this.ctx.notify(job.notifications, eventName, job.region, {
      ComputeNodeId: inst.nodeId,
      ComputeNodeInstanceId: inst.nodeInstanceId,
      ComputeNodeState: state,
      Cpu: anon.cpu,
      Mem: anon.memGiB,
      ResourceCreatedTime: time(inst.launchAt),
      JobId: job.id,
      TaskName: task.name,
      TaskInstanceIndex: inst.index,
    });
  }

  /** Frees the instance's node: a named env's node becomes idle, an anonymous node is destroyed. */
  releaseNodeOf(job: JobRecord, task: TaskRecord, inst: InstanceRecord): void {
    if (!inst.nodeId) return;
    const plan = planOf(job, task);
    if (plan.envId) {
      const env = findEnv(this.ctx, plan.envId);
      const node = env && this.nodeOf(env, inst.nodeId);
      if (env && node && node.busyWith === keyOf(job, task, inst)) {
        // envs' releaseNode, without its scan of env.nodes for the node we already hold.
        node.busyWith = undefined;
        this.ctx.store.saveEnv(env);
      }
    } else if (inst.runningAt !== null) {
      this.anonNodeEvent(job, task, inst, "COMPUTE_NODE_DELETING", "DELETING");
    }
  }

  setInstance(job: JobRecord, task: TaskRecord, inst: InstanceRecord, state: InstState, reason = inst.stateReason): void {
    inst.state = state;
    inst.stateReason = reason;
    // Only a RUNNING attempt has a process; a later start records its own group.
    if (state !== "RUNNING") inst.pgid = undefined;
    this.changed.add(job);
    this.instanceEvent(job, task, inst);
  }

  /** An attempt ended: success, a retry, or the instance's final failure. */
  endAttempt(
    job: JobRecord,
    task: TaskRecord,
    inst: InstanceRecord,
    o: { ok: boolean; exitCode: number | null; reason: string; tails?: { stdoutTail: string; stderrTail: string }; nodeLost?: boolean },
  ): void {
    const now = this.ctx.now();
    const plan = planOf(job, task);
    inst.exitCode = o.exitCode;
    if (o.tails) {
      inst.stdoutTail = o.tails.stdoutTail;
      inst.stderrTail = o.tails.stderrTail;
    }
    if (o.ok) {
      this.releaseNodeOf(job, task, inst);
      inst.endAt = now;
      this.setInstance(job, task, inst, "SUCCEED", "");
      return;
    }
    if (inst.attempts <= plan.maxRetry && !job.terminating) {
      this.releaseNodeOf(job, task, inst);
      inst.nodeId = null;
      inst.nodeInstanceId = null;
      inst.launchAt = null;
      inst.runningAt = null;
      this.setInstance(job, task, inst, "RUNNABLE", `retry ${inst.attempts} of ${plan.maxRetry} after: ${o.reason}`);
      return;
    }
    inst.endAt = now;
    const keep = plan.failedAction !== "TERMINATE" && !o.nodeLost && !job.terminating;
    if (!keep) this.releaseNodeOf(job, task, inst);
    this.setInstance(job, task, inst, keep ? "FAILED_INTERRUPTED" : "FAILED", o.reason);
  }

  /** The node a placed instance runs on, or why it is no longer usable. */
  nodeProblem(job: JobRecord, task: TaskRecord, inst: InstanceRecord): string | undefined {
    const plan = planOf(job, task);
    if (!plan.envId || !inst.nodeId) return undefined;
    const env = findEnv(this.ctx, plan.envId);
    const node = env && this.nodeOf(env, inst.nodeId);
    if (!node) return `compute node ${inst.nodeId} is gone`;
    if (node.state !== "RUNNING") return `compute node ${node.id} is ${node.state}`;
    if (node.busyWith !== keyOf(job, task, inst)) return `compute node ${node.id} was taken away`;
    return undefined;
  }

  startRunning(job: JobRecord, task: TaskRecord, inst: InstanceRecord): void {
    const now = this.ctx.now();
    const plan = planOf(job, task);
    inst.runningAt = now;
    inst.attempts++;
    inst.exitCode = null;
    inst.stdoutTail = "";
    inst.stderrTail = "";
    if (plan.anon) {
      this.anonNodeEvent(job, task, inst, "COMPUTE_NODE_CREATED", "CREATED");
      this.anonNodeEvent(job, task, inst, "COMPUTE_NODE_RUNNING", "RUNNING");
    }
    const vars = { jobId: job.id, taskName: task.name, index: inst.index };
    const out = plan.stdout ? { remote: plan.stdout.path + expandFileName(plan.stdout.file, vars), ...plan.stdout } : undefined;
    const err = plan.stderr ? { remote: plan.stderr.path + expandFileName(plan.stderr.file, vars), ...plan.stderr } : undefined;
    inst.stdoutRedirect = out?.remote ?? null;
    inst.stderrRedirect = err?.remote ?? null;
    this.setInstance(job, task, inst, "RUNNING", "");
    if (!this.ctx.exec) {
      this.endAttempt(job, task, inst, { ok: true, exitCode: 0, reason: "" });
      return;
    }
    let stdoutFile: string | undefined;
    let stderrFile: string | undefined;
    try {
      stdoutFile = out ? localPathFor(this.ctx.dataDir, out.path, expandFileName(out.file, vars)) : undefined;
      stderrFile = err ? localPathFor(this.ctx.dataDir, err.path, expandFileName(err.file, vars)) : undefined;
    } catch (e) {
      this.endAttempt(job, task, inst, { ok: false, exitCode: null, reason: `cannot redirect output: ${(e as Error).message}` });
      return;
    }
    // Kept on the record (flushed with this tick) so a restart after a crash can kill an orphan.
    inst.pgid = this.rt.runner.start(keyOf(job, task, inst), {
      command: plan.command,
      cwd: join(this.ctx.dataDir, "work", job.id, task.name, String(inst.index)),
      env: taskEnv(process.env, {
        BATCH_JOB_ID: job.id,
        BATCH_TASK_NAME: task.name,
        BATCH_TASK_INSTANCE_NUM: String(task.instances.length),
        BATCH_TASK_INSTANCE_INDEX: String(inst.index),
        ...plan.envVars,
      }),
      stdoutFile,
      stderrFile,
    });
  }

  /** Moves started instances on: STARTING → RUNNING, RUNNING → ended (exit, timeout, lost node). */
  advanceInstances(job: JobRecord): void {
    const now = this.ctx.now();
    for (const task of job.tasks) {
      const plan = planOf(job, task);
      for (const inst of task.instances) {
        const key = keyOf(job, task, inst);
        if (inst.state === "STARTING") {
          const problem = this.nodeProblem(job, task, inst);
          if (problem) {
            inst.attempts++;
            this.endAttempt(job, task, inst, { ok: false, exitCode: null, reason: problem, nodeLost: true });
            continue;
          }
          // A named env's node was reserved in an earlier tick; an anonymous node takes anonymousNodeMs.
          const ready = !plan.anon || now - (inst.launchAt ?? now) >= this.ctx.timings.anonymousNodeMs;
          if (ready) this.startRunning(job, task, inst);
        } else if (inst.state === "RUNNING") {
          const result = this.rt.runner.take(key);
          if (result) {
            const ok = result.exitCode === 0 && !result.error;
            const reason = ok
              ? ""
              : (result.error ??
                (result.exitCode !== null ? `the command exited with code ${result.exitCode}` : `the command was killed by ${result.signal ?? "a signal"}`));
            this.endAttempt(job, task, inst, { ok, exitCode: result.exitCode, reason, tails: result });
            continue;
          }
          const problem = this.nodeProblem(job, task, inst);
          if (problem) {
            const tails = this.rt.runner.kill(key);
            this.endAttempt(job, task, inst, { ok: false, exitCode: null, reason: problem, tails, nodeLost: true });
            continue;
          }
          if (now - (inst.runningAt ?? now) >= plan.timeoutMs) {
            const tails = this.rt.runner.kill(key);
            this.endAttempt(job, task, inst, { ok: false, exitCode: null, reason: `Timeout: still running after ${plan.timeoutMs / 1000} s`, tails });
          }
        }
      }
    }
  }

  /** PENDING tasks whose dependences are met become RUNNABLE; those that can never be met fail. */
  resolveDependences(job: JobRecord): void {
    const byName = new Map(job.tasks.map((t) => [t.name, t]));
    const dependOn = job.taskExecutionDependOn;
    const met = (u: TaskRecord): boolean => {
      if (!ENDED.has(u.state)) return false;
      if (dependOn === "PRE_TASK_FINISHED") return true;
      if (dependOn === "PRE_TASK_AT_LEAST_PARTLY_SUCCEED") return u.instances.some((i) => i.state === "SUCCEED");
      return u.state === "SUCCEED";
    };
    for (let changed = true; changed; ) {
      changed = false;
      for (const task of job.tasks) {
        if (task.state !== "PENDING") continue;
        const ups = job.dependences.filter((d) => d.EndTask === task.name).map((d) => byName.get(d.StartTask)!);
        const blocked = ups.find((u) => ENDED.has(u.state) && !met(u));
        if (blocked) {
          const now = this.ctx.now();
          for (const inst of task.instances) {
            if (ENDED.has(inst.state)) continue;
            inst.state = "FAILED";
            inst.endAt = now;
            inst.stateReason = `dependence ${blocked.name} ended ${blocked.state}; ${dependOn} cannot be met`;
          }
          this.settleTask(job, task);
          changed = true;
        } else if (ups.every(met)) {
          for (const inst of task.instances) if (inst.state === "PENDING") inst.state = "RUNNABLE";
          task.state = "RUNNABLE";
          this.changed.add(job);
        }
      }
    }
  }

  /** Kills and fails everything of a job TerminateJob was called on. */
  terminate(job: JobRecord): void {
    const now = this.ctx.now();
    for (const task of job.tasks)
      for (const inst of task.instances) {
        if (inst.state === "SUCCEED" || inst.state === "FAILED") continue;
        const tails = this.rt.runner.kill(keyOf(job, task, inst));
        if (tails) {
          inst.stdoutTail = tails.stdoutTail;
          inst.stderrTail = tails.stderrTail;
        }
        const wasPlaced = inst.state === "STARTING" || inst.state === "RUNNING" || inst.state === "FAILED_INTERRUPTED";
        if (wasPlaced) this.releaseNodeOf(job, task, inst);
        inst.endAt = now;
        inst.state = "FAILED";
        inst.stateReason = "Terminated by TerminateJob";
        if (wasPlaced) this.instanceEvent(job, task, inst);
      }
    job.terminating = false;
    job.stateReason = "Terminated by TerminateJob";
    this.changed.add(job);
    for (const task of job.tasks) this.settleTask(job, task);
    this.settleJob(job);
  }

  /** Task state from its instances; never backwards while it runs. */
  settleTask(job: JobRecord, task: TaskRecord): void {
    const before = task.state;
    if (task.instances.every((i) => ENDED.has(i.state))) {
      // Also FAILED_INTERRUPTED → FAILED once TerminateJob released the kept instances.
      task.state = task.instances.every((i) => i.state === "SUCCEED")
        ? "SUCCEED"
        : task.instances.some((i) => i.state === "FAILED_INTERRUPTED")
          ? "FAILED_INTERRUPTED"
          : "FAILED";
      if (!ENDED.has(before)) task.endAt = this.ctx.now();
    } else if (task.state !== "PENDING") {
      let rank = RANK[task.state] ?? 0;
      for (const i of task.instances) rank = Math.max(rank, RANK[i.state] ?? RANK.RUNNABLE!);
      task.state = (["PENDING", "PENDING", "RUNNABLE", "STARTING", "RUNNING"] as const)[rank]!;
    }
    if (task.state === before) return;
    this.changed.add(job);
    if (task.state === "RUNNING" || ENDED.has(task.state)) this.taskEvent(job, task, `TASK_${task.state}`);
  }

  /** Job state from its tasks; never backwards while it runs. */
  settleJob(job: JobRecord): void {
    const before = job.state;
    if (job.tasks.every((t) => ENDED.has(t.state))) {
      job.state = job.tasks.every((t) => t.state === "SUCCEED")
        ? "SUCCEED"
        : job.tasks.some((t) => t.state === "FAILED_INTERRUPTED")
          ? "FAILED_INTERRUPTED"
          : "FAILED";
      if (!ENDED.has(before)) job.endAt = this.ctx.now();
      if (job.state !== "SUCCEED" && !job.stateReason) {
        const bad = job.tasks.filter((t) => t.state !== "SUCCEED").map((t) => t.name);
        job.stateReason = `task ${bad.join(", ")} did not succeed`;
      }
    } else {
      let rank = RANK[job.state] ?? 0;
      for (const t of job.tasks) rank = Math.max(rank, ENDED.has(t.state) ? RANK.RUNNABLE! : (RANK[t.state] ?? 0));
      job.state = (["SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING"] as const)[rank]!;
    }
    if (job.state === before) return;
    this.changed.add(job);
    if (job.state === "RUNNING" || ENDED.has(job.state)) this.jobEvent(job, `JOB_${job.state}`);
  }

  /** Places RUNNABLE instances, higher job Priority first, then older jobs. */
  place(jobs: JobRecord[]): void {
    const waiting: Array<{ job: JobRecord; task: TaskRecord; inst: InstanceRecord }> = [];
    const ordered = [...jobs].sort((a, b) => b.priority - a.priority || a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
    for (const job of ordered) {
      if (job.terminating) continue;
      for (const task of job.tasks) {
        if (task.state === "PENDING" || ENDED.has(task.state)) continue;
        for (const inst of task.instances) if (inst.state === "RUNNABLE") waiting.push({ job, task, inst });
      }
    }
    const now = this.ctx.now();
    // Linear in instances + nodes: each env's idle nodes (in env order) are listed once and taken
    // from the front as instances are placed; each task's STARTING/RUNNING count is taken once and
    // kept up to date. Nothing else frees or occupies a node, or starts an instance, while placing.
    const idle = new Map<EnvRecord, { nodes: NodeRecord[]; next: number }>();
    const busy = new Map<TaskRecord, number>();
    for (const { job, task, inst } of waiting) {
      const plan = planOf(job, task);
      if (plan.maxConcurrent !== undefined) {
        let n = busy.get(task);
        if (n === undefined) {
          n = 0;
          for (const i of task.instances) if (i.state === "STARTING" || i.state === "RUNNING") n++;
          busy.set(task, n);
        }
        if (n >= plan.maxConcurrent) continue;
      }
      if (plan.envId) {
        const env = findEnv(this.ctx, plan.envId);
        if (!env) {
          // The env was deleted after the job was accepted: nothing can ever run this instance.
          inst.endAt = now;
          this.setInstance(job, task, inst, "FAILED", `ResourceNotFound.ComputeEnv: compute environment ${plan.envId} no longer exists`);
          continue;
        }
        if (env.deleting) continue;
        let pool = idle.get(env);
        if (!pool) {
          pool = { nodes: idleNodes(env), next: 0 };
          idle.set(env, pool);
        }
        const node = pool.nodes[pool.next];
        if (!node) continue;
        pool.next++;
        // envs' occupyNode, without its scan of env.nodes: the node came from this env's list.
        node.busyWith = keyOf(job, task, inst);
        this.ctx.store.saveEnv(env);
        inst.nodeId = node.id;
        inst.nodeInstanceId = node.instanceId;
      } else {
        inst.nodeId = this.ctx.ids.next("node");
        inst.nodeInstanceId = this.ctx.ids.next("ins");
      }
      inst.launchAt = now;
      this.setInstance(job, task, inst, "STARTING", "");
      const n = busy.get(task);
      if (n !== undefined) busy.set(task, n + 1);
    }
  }
}

function tick(ctx: EmuContext): void {
  const active = [...ctx.store.jobs.values()].filter(isActive);
  if (active.length === 0) return;
  const step = new Step(ctx, runtime(ctx));
  const justAccepted = new Set<JobRecord>();
  for (const job of active) {
    if (job.terminating) {
      step.terminate(job);
      continue;
    }
    if (job.state === "SUBMITTED") {
      job.state = "PENDING";
      step.changed.add(job);
      justAccepted.add(job);
      continue;
    }
    step.advanceInstances(job);
  }
  // Placing before resolving dependences lets a task show RUNNABLE for a tick, as Batch's does.
  step.place(active.filter((j) => !ENDED.has(j.state) && j.state !== "SUBMITTED"));
  for (const job of active) if (!ENDED.has(job.state) && !justAccepted.has(job)) step.resolveDependences(job);
  for (const job of active) {
    if (!step.changed.has(job) || ENDED.has(job.state)) continue;
    for (const task of job.tasks) step.settleTask(job, task);
    step.settleJob(job);
  }
  for (const job of step.changed) ctx.store.saveJob(job);
}

/** After a restart: instances that were starting or running lost their process; queue them again. */
function recover(ctx: EmuContext): void {
  const step = new Step(ctx, runtime(ctx));
  for (const job of ctx.store.jobs.values()) {
    for (const task of job.tasks)
      for (const inst of task.instances) {
        if (inst.state !== "STARTING" && inst.state !== "RUNNING") continue;
        if (inst.state === "RUNNING") inst.attempts = Math.max(0, inst.attempts - 1);
        // After a kill -9 the command's process group outlived us: end it before running again.
        if (inst.pgid !== undefined) {
          try {
            killGroup(inst.pgid);
          } catch (e) {
            process.stderr.write(`emulator: cannot kill process group ${inst.pgid}: ${(e as Error).message}\n`);
          }
          inst.pgid = undefined;
        }
        step.releaseNodeOf(job, task, inst);
        inst.nodeId = null;
        inst.nodeInstanceId = null;
        inst.launchAt = null;
        inst.runningAt = null;
        inst.state = "RUNNABLE";
        inst.stateReason = "re-queued: the emulator restarted while the instance was running";
        step.changed.add(job);
      }
  }
  for (const job of step.changed) ctx.store.saveJob(job);
}

const testRoutes: TestRoute[] = [
  {
    // Where a task instance runs (its work dir) and where its redirected output lands locally.
    method: "GET",
    path: "/jobs/:jobId/tasks/:taskName/instances/:index",
    handle(ctx, params) {
      const job = ctx.store.jobs.get(params.jobId ?? "");
      if (!job) throw new ApiError("ResourceNotFound.Job", `no job ${params.jobId}`);
      const task = job.tasks.find((t) => t.name === params.taskName);
      if (!task) throw new ApiError("ResourceNotFound.Task", `job ${job.id} has no task ${params.taskName}`);
      const inst = task.instances.find((i) => String(i.index) === params.index);
      if (!inst) throw new ApiError("ResourceNotFound.TaskInstance", `task ${task.name} has no instance ${params.index}`);
      const plan = planOf(job, task);
      const vars = { jobId: job.id, taskName: task.name, index: inst.index };
      return {
        ...inst,
        workDir: join(ctx.dataDir, "work", job.id, task.name, String(inst.index)),
        stdoutFile: plan.stdout ? localPathFor(ctx.dataDir, plan.stdout.path, expandFileName(plan.stdout.file, vars)) : null,
        stderrFile: plan.stderr ? localPathFor(ctx.dataDir, plan.stderr.path, expandFileName(plan.stderr.file, vars)) : null,
      };
    },
  },
];

export const jobModule: EmulatorModule = {
  actions: {
    SubmitJob: submitJob,
    DescribeJob: describeJob,
    DescribeJobs: describeJobs,
    DescribeJobSubmitInfo: describeJobSubmitInfo,
    TerminateJob: terminateJob,
    DeleteJob: deleteJob,
    RetryJobs: retryJobs,
    DescribeTask: describeTask,
    DescribeTaskLogs: describeTaskLogs,
  },
  tick,
  recover,
  testRoutes,
  close(ctx) {
    runtimes.get(ctx.store)?.runner.close();
    runtimes.delete(ctx.store);
  },
};
