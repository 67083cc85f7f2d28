// How task and job states follow their instances and tasks, and how dependences open (or
// close for good) a PENDING task. Each records the jobs it changed in `changed`.
import type { EmuContext } from "../context";
import type { JobRecord, TaskRecord } from "../state";
import { jobEvent, taskEvent } from "./events";
import { ENDED, endedState, RANK } from "./states";

/** Task state from its instances; never backwards while it runs. */
export function settleTask(ctx: EmuContext, changed: Set<JobRecord>, job: JobRecord, task: TaskRecord): void {
  const before = task.state;
  if (task.instances.every((i) => ENDED.has(i.state))) {
    // Also FAILED_INTERRUPTED → FAILED once TerminateJob released the kept instances.
    task.state = endedState(task.instances);
    if (!ENDED.has(before)) task.endAt = ctx.now();
  } else if (task.state !== "PENDING") {
    let rank = RANK[task.state] ?? 0;
    for (const i of task.instances) rank = Math.max(rank, RANK[i.state] ?? RANK.RUNNABLE!);
    task.state = (["PENDING", "PENDING", "RUNNABLE", "STARTING", "RUNNING"] as const)[rank]!;
  }
  if (task.state === before) return;
  changed.add(job);
  if (task.state === "RUNNING" || ENDED.has(task.state)) taskEvent(ctx, job, task, `TASK_${task.state}`);
}

/** Job state from its tasks; never backwards while it runs. */
export function settleJob(ctx: EmuContext, changed: Set<JobRecord>, job: JobRecord): void {
  const before = job.state;
  if (job.tasks.every((t) => ENDED.has(t.state))) {
    job.state = endedState(job.tasks);
    if (!ENDED.has(before)) job.endAt = ctx.now();
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
  changed.add(job);
  if (job.state === "RUNNING" || ENDED.has(job.state)) jobEvent(ctx, job, `JOB_${job.state}`);
}

/** PENDING tasks whose dependences are met become RUNNABLE; those that can never be met fail. */
export function resolveDependences(ctx: EmuContext, changed: Set<JobRecord>, job: JobRecord): void {
  const byName = new Map(job.tasks.map((t) => [t.name, t]));
  const dependOn = job.taskExecutionDependOn;
  const met = (u: TaskRecord): boolean => {
    if (!ENDED.has(u.state)) return false;
    if (dependOn === "PRE_TASK_FINISHED") return true;
    if (dependOn === "PRE_TASK_AT_LEAST_PARTLY_SUCCEED") return u.instances.some((i) => i.state === "SUCCEED");
    return u.state === "SUCCEED";
  };
  for (let again = true; again; ) {
    again = false;
    for (const task of job.tasks) {
      if (task.state !== "PENDING") continue;
      const ups = job.dependences.filter((d) => d.EndTask === task.name).map((d) => byName.get(d.StartTask)!);
      const blocked = ups.find((u) => ENDED.has(u.state) && !met(u));
      if (blocked) {
        const now = ctx.now();
        for (const inst of task.instances) {
          if (ENDED.has(inst.state)) continue;
          inst.state = "FAILED";
          inst.endAt = now;
          inst.stateReason = `dependence ${blocked.name} ended ${blocked.state}; ${dependOn} cannot be met`;
        }
        settleTask(ctx, changed, job, task);
        again = true;
      } else if (ups.every(met)) {
        for (const inst of task.instances) if (inst.state === "PENDING") inst.state = "RUNNABLE";
        task.state = "RUNNABLE";
        changed.add(job);
      }
    }
  }
}
