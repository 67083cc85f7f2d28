// SubmitJob's request checks, in this order and with Batch's error codes: the first broken rule is
// the answer (a Tencent API answers one error).
import { ENV_ID } from "../../../shared/schemas/ids";
import { IMAGE_ID } from "../../../shared/schemas/image";
import { LIMITS } from "../../../shared/schemas/limits";
import { maskSecrets } from "../../../shared/schemas/masking";
import { SUBMIT_JOB_EVENTS } from "../../../shared/schemas/notifications";
import { authentications, checkLocalPath, checkRemoteStoragePath, envData, inputMappings, mountDataDisks, notifications, notificationTarget, outputMappings, placement, tags } from "../batch-fields";
import type { EmuContext } from "../context";
import { findEnv } from "../envs";
import type { NotificationConfig } from "../state";
import { DEFAULT_STDERR_FILE, DEFAULT_STDOUT_FILE, expandFileName, localPathFor } from "../storage";
import { checkKnownKeys, fail, type Obj, optArr, optBool, optInt, optObj, optStr, reqObj, reqStr } from "../validate";
import { FAILED_ACTIONS } from "./plan";

const MAX_INSTANCES_PER_TASK = 5_000;
const DEPEND_ON = ["PRE_TASK_SUCCEED", "PRE_TASK_AT_LEAST_PARTLY_SUCCEED", "PRE_TASK_FINISHED"] as const;
const TASK_NAME = /^[^/\\\u0000]+$/;
const ENV_VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

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

export interface ValidTask {
  name: string;
  /** The task as submitted, secrets masked. */
  spec: Obj;
  instances: number;
}

export interface ValidJob {
  zone: string;
  name: string;
  description: string;
  priority: number;
  dependOn: string;
  tags: Array<{ Key: string; Value: string }>;
  notifications: NotificationConfig[];
  tasks: ValidTask[];
  dependences: Array<{ StartTask: string; EndTask: string }>;
  /** The Job object as submitted, Priority as a number, secrets masked. */
  submitted: Obj;
}

/** Everything of a SubmitJob request but its ClientToken (checked before, for a replay). */
export function validateJob(ctx: EmuContext, req: Obj): ValidJob {
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
  return {
    zone,
    name,
    description,
    priority,
    dependOn,
    tags: jobTags,
    notifications: notes,
    tasks,
    dependences,
    submitted: maskSecrets({ ...job, Priority: priority }),
  };
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
  application(ctx, t.Application, `${p}.Application`);
  computeEnv(ctx, t, p, zone);
  const instances =
    optInt(t.TaskInstanceNum, `${p}.TaskInstanceNum`, { min: 1, belowCode: "InvalidParameterValue", max: MAX_INSTANCES_PER_TASK }) ?? 1;
  redirects(ctx, t, p, name);
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
  return { name, spec: maskSecrets(t), instances };
}

/** Application: DeliveryForm, exactly one of Command and Commands, a package path, Docker. */
function application(ctx: EmuContext, raw: unknown, p: string): void {
  const app = reqObj(raw, p);
  const form = reqStr(app.DeliveryForm, `${p}.DeliveryForm`, { oneOf: ["PACKAGE", "LOCAL"] });
  const hasCommand = app.Command !== undefined && app.Command !== null;
  const hasCommands = app.Commands !== undefined && app.Commands !== null;
  if (hasCommand === hasCommands) fail("InvalidParameter.InvalidParameterCombination", p, "give exactly one of Command and Commands");
  if (hasCommand) reqStr(app.Command, `${p}.Command`);
  else {
    const cmds = optArr(app.Commands, `${p}.Commands`, 100) ?? [];
    if (cmds.length === 0) fail("InvalidParameterValue", `${p}.Commands`, "needs at least one command");
    cmds.forEach((c, i) => {
      reqStr(reqObj(c, `${p}.Commands.${i}`).Command, `${p}.Commands.${i}.Command`);
    });
  }
  if (form === "PACKAGE" || (app.PackagePath !== undefined && app.PackagePath !== null)) checkRemoteStoragePath(app.PackagePath, `${p}.PackagePath`, ctx.region);
  const docker = optObj(app.Docker, `${p}.Docker`);
  if (docker) {
    reqStr(docker.Image, `${p}.Docker.Image`);
    optInt(docker.MaxRetryCount, `${p}.Docker.MaxRetryCount`, { min: 0 });
    optInt(docker.DelayOnRetry, `${p}.Docker.DelayOnRetry`, { min: 0 });
  }
}

/** Exactly one of EnvId (an existing env of the region) and ComputeEnv (an anonymous MANAGED one). */
function computeEnv(ctx: EmuContext, t: Obj, p: string, zone: string): void {
  const hasEnvId = t.EnvId !== undefined && t.EnvId !== null;
  const hasEnv = t.ComputeEnv !== undefined && t.ComputeEnv !== null;
  if (hasEnvId === hasEnv)
    fail("AllowedOneAttributeInEnvIdAndComputeEnv", p, "give exactly one of EnvId (an existing compute environment) and ComputeEnv (an anonymous one)");
  if (hasEnvId) {
    const envId = reqStr(t.EnvId, `${p}.EnvId`, { pattern: ENV_ID, patternCode: "InvalidParameter.EnvIdMalformed", patternRule: "an env id looks like env-xxxxxxxx" });
    const env = findEnv(ctx, envId);
    if (!env || env.region !== ctx.region || env.deleting) fail("ResourceNotFound.ComputeEnv", `${p}.EnvId`, `no compute environment ${envId} in ${ctx.region}`);
    return;
  }
  const ce = reqObj(t.ComputeEnv, `${p}.ComputeEnv`);
  const envType = optStr(ce.EnvType, `${p}.ComputeEnv.EnvType`);
  if (envType !== undefined && envType !== "MANAGED")
    fail("InvalidParameterValue.ComputeEnv", `${p}.ComputeEnv.EnvType`, `an anonymous compute environment is MANAGED (got ${envType})`);
  const data = reqObj(ce.EnvData, `${p}.ComputeEnv.EnvData`);
  // Batch's own answer for an anonymous env: any ImageId that is no img-xxxxxxxx string (even "" or a number) is ImageIdMalformed.
  if (data.ImageId !== undefined && data.ImageId !== null && (typeof data.ImageId !== "string" || !IMAGE_ID.test(data.ImageId)))
    fail("InvalidParameter.ImageIdMalformed", `${p}.ComputeEnv.EnvData.ImageId`, "an image id looks like img-xxxxxxxx");
  envData(data, `${p}.ComputeEnv.EnvData`, zone);
  mountDataDisks(ce.MountDataDisks, `${p}.ComputeEnv.MountDataDisks`);
}

/** RedirectInfo (remote folder + file name, which must stay inside it) and RedirectLocalInfo. */
function redirects(ctx: EmuContext, t: Obj, p: string, taskName: string): void {
  const ri = optObj(t.RedirectInfo, `${p}.RedirectInfo`);
  if (ri) {
    for (const stream of ["Stdout", "Stderr"] as const) {
      const pathKey = `${stream}RedirectPath`;
      const fileKey = `${stream}RedirectFileName`;
      const remote = ri[pathKey] === undefined || ri[pathKey] === null ? undefined : checkRemoteStoragePath(ri[pathKey], `${p}.RedirectInfo.${pathKey}`, ctx.region);
      const file = optStr(ri[fileKey], `${p}.RedirectInfo.${fileKey}`, { max: 255 });
      if (remote) {
        const sample = expandFileName(file || (stream === "Stdout" ? DEFAULT_STDOUT_FILE : DEFAULT_STDERR_FILE), { jobId: "job-00000000", taskName, index: 0 });
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
