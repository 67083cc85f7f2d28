// /_emulator routes of the jobs module (local only): where a task instance runs and writes.
import { join } from "node:path";
import { ApiError, type TestRoute } from "../context";
import { localPathFor } from "../storage";
import { planOf, redirectsOf } from "./plan";

export const jobTestRoutes: TestRoute[] = [
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
      const { stdout, stderr } = redirectsOf(planOf(job, task), job, task, inst.index);
      return {
        ...inst,
        workDir: join(ctx.dataDir, "work", job.id, task.name, String(inst.index)),
        stdoutFile: stdout ? localPathFor(ctx.dataDir, stdout.path, stdout.name) : null,
        stderrFile: stderr ? localPathFor(ctx.dataDir, stderr.path, stderr.name) : null,
      };
    },
  },
];
