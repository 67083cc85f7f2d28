// Pure shaping of Batch replies into the jobs API's answers, and the state preconditions of the
// write actions (Tencent's documented rules, turned into 409s before Batch is called).
import type { Filter } from "../../shared/batch/port";
import type { JobDetail, JobView, TaskDetail, TaskInstanceLog } from "../../shared/batch/models";
import { AppError } from "../../shared/errors";
import { BATCH_TIME_RESOLUTION_MS, parseBatchTime } from "../../shared/schemas/batch-time";
import { tagFiltersOf } from "../../shared/schemas/tags";
import { NOTIFY_URL_TAG } from "./notify";
import { SUBMITTER_TAG } from "./submit";

type Tag = { Key: string; Value: string };
/** Batch's metrics as the answers document them: counts by state (a field Tencent adds that is no count is left out). */
const counts = (m: Record<string, unknown> | null | undefined): Record<string, number> | null =>
  m ? (Object.fromEntries(Object.entries(m).filter(([, v]) => typeof v === "number")) as Record<string, number>) : null;
/**
 * The tags a reader sees: a Notify URL shows only its origin (`https://hooks.example.com/…`), since
 * webhook URLs often carry their own credential in the path or query (read scopes are account-wide).
 */
export const shownTags = (tags: Tag[] | null | undefined): Tag[] =>
  (tags ?? []).map((t) => (t.Key === NOTIFY_URL_TAG ? { Key: t.Key, Value: originOf(t.Value) } : t));

const originOf = (url: string): string => {
  try {
    return `${new URL(url).origin}/…`;
  } catch {
    return "…";
  }
};

export const submitterOf = (tags: Tag[] | null | undefined) => tags?.find((t) => t.Key === SUBMITTER_TAG)?.Value ?? null;

/** The job as GET /jobs/{JobId} answers it; `region`: where it was found. */
export function jobView(job: JobDetail, tasks: ReadonlyMap<string, TaskDetail> | undefined, region: string) {
  return {
    JobId: job.JobId,
    JobName: job.JobName ?? null,
    JobState: job.JobState,
    Region: region,
    Zone: job.Zone ?? null,
    Priority: job.Priority ?? null,
    CreateTime: job.CreateTime ?? null,
    EndTime: job.EndTime ?? null,
    StateReason: job.StateReason ?? null,
    Submitter: submitterOf(job.Tags),
    Tags: shownTags(job.Tags),
    TaskMetrics: counts(job.TaskMetrics),
    TaskInstanceMetrics: counts(job.TaskInstanceMetrics),
    Dependences: job.DependenceSet.map((d) => ({ StartTask: d.StartTask, EndTask: d.EndTask })),
    Tasks: job.TaskSet.map((t) => {
      const d = tasks?.get(t.TaskName);
      return {
        TaskName: t.TaskName,
        TaskState: d?.TaskState ?? t.TaskState,
        CreateTime: t.CreateTime ?? null,
        EndTime: t.EndTime ?? null,
        ...(d
          ? {
              TaskInstanceTotalCount: d.TaskInstanceTotalCount,
              TaskInstanceMetrics: counts(d.TaskInstanceMetrics),
              Instances: d.TaskInstanceSet.map(instanceView),
              // Never a silent cut: past DescribeTask's page, say so and where the rest is.
              ...(d.TaskInstanceTotalCount > d.TaskInstanceSet.length ? { InstancesTruncated: true } : {}),
            }
          : {}),
      };
    }),
  };
}

function instanceView(i: TaskDetail["TaskInstanceSet"][number]) {
  return {
    TaskInstanceIndex: i.TaskInstanceIndex,
    TaskInstanceState: i.TaskInstanceState,
    ExitCode: i.ExitCode ?? null,
    StateReason: i.StateReason ?? null,
    ComputeNodeInstanceId: i.ComputeNodeInstanceId ?? null,
    CreateTime: i.CreateTime ?? null,
    LaunchTime: i.LaunchTime ?? null,
    RunningTime: i.RunningTime ?? null,
    EndTime: i.EndTime ?? null,
  };
}

/** One page of a task's instances (GET /jobs/{JobId}/instances). */
export function instancesView(jobId: string, task: TaskDetail, offset: number, limit: number) {
  const next = offset + task.TaskInstanceSet.length;
  return {
    JobId: jobId,
    TaskName: task.TaskName,
    TaskState: task.TaskState,
    TaskInstanceTotalCount: task.TaskInstanceTotalCount,
    Offset: offset,
    Limit: limit,
    NextOffset: task.TaskInstanceSet.length > 0 && next < task.TaskInstanceTotalCount ? next : null,
    Instances: task.TaskInstanceSet.map(instanceView),
  };
}

export function listItemView(j: JobView, region: string) {
  return {
    JobId: j.JobId,
    JobName: j.JobName ?? null,
    JobState: j.JobState,
    Region: region,
    Priority: j.Priority ?? null,
    Zone: j.Placement?.Zone ?? null,
    CreateTime: j.CreateTime ?? null,
    EndTime: j.EndTime ?? null,
    Submitter: submitterOf(j.Tags),
    TaskMetrics: counts(j.TaskMetrics),
    Tags: shownTags(j.Tags),
  };
}

export interface ListQuery {
  state?: string[] | undefined;
  name?: string | undefined;
  zone?: string | undefined;
  tag?: string[] | undefined;
  submitter?: string | undefined;
}

/** DescribeJobs filters for the list query (separate filters AND, values in one filter OR). */
export function listFilters(q: ListQuery): Filter[] {
  const filters: Filter[] = [];
  if (q.state?.length) filters.push({ Name: "job-state", Values: [...new Set(q.state)] });
  if (q.name) filters.push({ Name: "job-name", Values: [q.name] });
  if (q.zone) filters.push({ Name: "zone", Values: [q.zone] });
  if (q.submitter) filters.push({ Name: `tag:${SUBMITTER_TAG}`, Values: [q.submitter] });
  // The tags count with the other filters against what one request takes (shared/schemas/limits.ts).
  return [...filters, ...tagFiltersOf(q.tag, filters.length)];
}

// ── preconditions ────────────────────────────────────────────────────────────────────

const FINISHED = new Set(["SUCCEED", "FAILED"]);

function conflict(code: string, message: string, state: string): AppError {
  return new AppError(code, message, { status: 409, details: { jobState: state } });
}

/** TerminateJob: refused while SUBMITTED, pointless once SUCCEED or FAILED. */
export function checkTerminable(job: Pick<JobDetail, "JobId" | "JobState">): void {
  if (job.JobState === "SUBMITTED")
    throw conflict("job_not_started", `job ${job.JobId} is still SUBMITTED; Batch accepts TerminateJob once it is PENDING or later: retry in a few seconds`, job.JobState);
  if (FINISHED.has(job.JobState))
    throw conflict("job_already_finished", `job ${job.JobId} already ended ${job.JobState}; there is nothing to terminate`, job.JobState);
}

/** DeleteJob: only a job that ended SUCCEED or FAILED (FAILED_INTERRUPTED still holds instances). */
export function checkDeletable(job: Pick<JobDetail, "JobId" | "JobState">): void {
  if (!FINISHED.has(job.JobState)) {
    const hint = job.JobState === "FAILED_INTERRUPTED" ? "terminate it first to release its instances" : "wait for it to end or terminate it first";
    throw conflict("job_not_finished", `job ${job.JobId} is ${job.JobState}; only a job that ended SUCCEED or FAILED can be deleted: ${hint}`, job.JobState);
  }
}

/**
 * RetryJobs: only FAILED jobs, and only a failure the caller could have seen: one that ended
 * before the request arrived (`receivedAt`, with Batch's one-second resolution as margin). A
 * duplicate retry that arrives while another retry runs, and reads the job only after that retry
 * failed again, would otherwise run the job a second time; it gets 409 `job_failed_again` (read
 * the job, and retry again if you mean to). This holds across function instances, with no store.
 */
export function checkRetryable(job: Pick<JobDetail, "JobId" | "JobState" | "EndTime">, receivedAt: number): void {
  if (job.JobState !== "FAILED")
    throw conflict("job_not_failed", `job ${job.JobId} is ${job.JobState}; only a FAILED job can be retried`, job.JobState);
  const ended = parseBatchTime(job.EndTime);
  if (ended !== undefined && ended + BATCH_TIME_RESOLUTION_MS > receivedAt)
    throw new AppError(
      "job_failed_again",
      `job ${job.JobId} failed at ${job.EndTime}, not before this request arrived (Batch's times are to the second): ` +
        "it may be the outcome of a retry this request duplicates; read the job and retry again if you mean to",
      { status: 409, details: { jobState: job.JobState, endTime: job.EndTime } },
    );
}

// ── logs ──────────────────────────────────────────────────────────────────────────────

/** Batch keeps at most this much of each stream (DescribeTaskLogs). */
export const LOG_TAIL_BYTES = 2048;

function decodeTail(b64: string | null | undefined): { text: string; bytes: number } {
  if (!b64) return { text: "", bytes: 0 };
  const buf = Buffer.from(b64, "base64");
  return { text: buf.toString("utf8"), bytes: buf.length };
}

const PLACEHOLDERS: Array<[string, (v: { jobId: string; taskName: string; index: number }) => string]> = [
  ["$" + "{BATCH_JOB_ID}", (v) => v.jobId],
  ["$" + "{BATCH_TASK_NAME}", (v) => v.taskName],
  ["$" + "{BATCH_TASK_INSTANCE_INDEX}", (v) => String(v.index)],
];

/** Where a redirected stream's full log lives: the path joined with the file name (placeholders expanded). */
export function fullLogLocation(path: string | null | undefined, file: string | null | undefined, v: { jobId: string; taskName: string; index: number }): string | null {
  if (!path) return null;
  if (!file) return path;
  let name = file;
  for (const [ph, val] of PLACEHOLDERS) name = name.replaceAll(ph, val(v));
  return `${path.endsWith("/") ? path : `${path}/`}${name.replace(/^\/+/, "")}`;
}

export interface RedirectFallback {
  StdoutRedirectPath?: string | undefined;
  StderrRedirectPath?: string | undefined;
  StdoutRedirectFileName?: string | undefined;
  StderrRedirectFileName?: string | undefined;
}

export function logsView(jobId: string, taskName: string, total: number, logs: TaskInstanceLog[], submitted?: RedirectFallback) {
  const instances = logs.map((l) => {
    const out = decodeTail(l.StdoutLog);
    const err = decodeTail(l.StderrLog);
    const v = { jobId, taskName, index: l.TaskInstanceIndex };
    return {
      TaskInstanceIndex: l.TaskInstanceIndex,
      Stdout: out.text,
      Stderr: err.text,
      Truncated: out.bytes >= LOG_TAIL_BYTES || err.bytes >= LOG_TAIL_BYTES,
      FullLog: {
        Stdout: fullLogLocation(l.StdoutRedirectPath ?? submitted?.StdoutRedirectPath, l.StdoutRedirectFileName ?? submitted?.StdoutRedirectFileName, v),
        Stderr: fullLogLocation(l.StderrRedirectPath ?? submitted?.StderrRedirectPath, l.StderrRedirectFileName ?? submitted?.StderrRedirectFileName, v),
      },
    };
  });
  const redirected = instances.some((i) => i.FullLog.Stdout || i.FullLog.Stderr);
  return {
    JobId: jobId,
    TaskName: taskName,
    TotalCount: total,
    Instances: instances,
    Note: redirected
      ? "Stdout/Stderr are the last 2 KB Batch keeps; the full logs are at FullLog (RedirectInfo)."
      : "Stdout/Stderr are the last 2 KB Batch keeps; the task set no RedirectInfo, so no full log is kept. Set Tasks[].RedirectInfo to keep it in COS or CFS.",
  };
}
