// The write actions: SubmitJob, TerminateJob, DeleteJob, RetryJobs. They change records only;
// the scheduler (scheduler.ts) moves jobs on at the next tick.
import { rmSync } from "node:fs";
import { join } from "node:path";
import { JOB_ID } from "../../../shared/schemas/ids";
import { ApiError, type EmuContext, uniqueId } from "../context";
import { clientToken, rememberToken, replayedResult } from "../idempotency";
import type { JobRecord } from "../state";
import { checkKnownKeys, fail, type Obj, optIdList } from "../validate";
import { getJob, jobIdOf } from "./lookup";
import { freshInstance } from "./states";
import { validateJob } from "./submit-validation";

function submitJob(ctx: EmuContext, req: Obj): Obj {
  checkKnownKeys(req, ["Placement", "Job", "ClientToken"]);
  const token = clientToken(req.ClientToken);
  const replayed = replayedResult(ctx, "SubmitJob", token, req);
  if (replayed) return { JobId: replayed };
  const v = validateJob(ctx, req);

  const id = uniqueId(ctx, "job", ctx.store.jobs);
  const now = ctx.now();
  const record: JobRecord = {
    id,
    name: v.name,
    description: v.description,
    zone: v.zone,
    region: ctx.region,
    priority: v.priority,
    state: "SUBMITTED",
    stateReason: "",
    createdAt: now,
    endAt: null,
    tasks: v.tasks.map((t) => ({
      name: t.name,
      state: "PENDING",
      createdAt: now,
      endAt: null,
      spec: t.spec,
      instances: Array.from({ length: t.instances }, (_, index) => freshInstance(index, now)),
    })),
    dependences: v.dependences,
    taskExecutionDependOn: v.dependOn,
    notifications: v.notifications,
    tags: v.tags,
    submitted: v.submitted,
    terminating: false,
  };
  ctx.store.saveJob(record);
  rememberToken(ctx, "SubmitJob", token, req, id);
  return { JobId: id };
}

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

export const writeActions = {
  SubmitJob: submitJob,
  TerminateJob: terminateJob,
  DeleteJob: deleteJob,
  RetryJobs: retryJobs,
};
