// What a stored task spec means to the scheduler: read back from the request SubmitJob
// validated, once per spec object (a pure reading, so it is kept beside the spec).

import { envData } from "../batch-fields";
import type { JobRecord, TaskRecord } from "../state";
import { DEFAULT_STDERR_FILE, DEFAULT_STDOUT_FILE, expandFileName } from "../storage";
import { isObj, type Obj } from "../validate";

const DEFAULT_TIMEOUT_S = 86_400;
export const FAILED_ACTIONS = ["TERMINATE", "INTERRUPT", "FAST_INTERRUPT"] as const;

export interface TaskPlan {
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

export const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === "number" ? v : undefined);

export function planOf(job: JobRecord, task: TaskRecord): TaskPlan {
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

export interface Redirect {
  /** The remote folder (cos://…/, cfs://…/). */
  path: string;
  /** The file name with Batch's placeholders expanded for this instance. */
  name: string;
}

/** Where instance `index` of the task sends its stdout and stderr, if redirected. */
export function redirectsOf(plan: TaskPlan, job: JobRecord, task: TaskRecord, index: number): { stdout: Redirect | undefined; stderr: Redirect | undefined } {
  const vars = { jobId: job.id, taskName: task.name, index };
  const at = (r: TaskPlan["stdout"]) => (r ? { path: r.path, name: expandFileName(r.file, vars) } : undefined);
  return { stdout: at(plan.stdout), stderr: at(plan.stderr) };
}
