// Finding the job, task and instance a request names, with Batch's codes when there is none.
import { JOB_ID } from "../../../shared/schemas/ids";
import { ApiError, type EmuContext } from "../context";
import type { JobRecord, TaskRecord } from "../state";
import { reqStr } from "../validate";

export function jobIdOf(v: unknown, path = "JobId"): string {
  return reqStr(v, path, { pattern: JOB_ID, patternCode: "InvalidParameter.JobIdMalformed", patternRule: "a job id looks like job-xxxxxxxx" });
}

/** The job, if it exists in the request's region. */
export function getJob(ctx: EmuContext, id: string): JobRecord {
  const job = ctx.store.jobs.get(id);
  if (!job || job.region !== ctx.region) throw new ApiError("ResourceNotFound.Job", `JobId: no job ${id} in ${ctx.region}`);
  return job;
}

export function getTask(job: JobRecord, v: unknown): TaskRecord {
  const name = reqStr(v, "TaskName");
  const task = job.tasks.find((t) => t.name === name);
  if (!task) throw new ApiError("ResourceNotFound.Task", `TaskName: job ${job.id} has no task ${name}`);
  return task;
}
