// The jobs engine: each tick accepts SUBMITTED jobs, moves started instances on, places
// RUNNABLE ones, opens tasks whose dependences are met and settles task and job states;
// after a restart, instances that were starting or running are queued again.
import type { EmuContext } from "../context";
import { killGroup, Runner } from "../runner";
import type { JobRecord } from "../state";
import type { Store } from "../store";
import { resolveDependences, settleJob, settleTask } from "./settle";
import { ENDED } from "./states";
import { Step } from "./step";

/** One runner (the task processes) per emulator, that is per store. */
const runners = new WeakMap<Store, Runner>();

function runner(ctx: EmuContext): Runner {
  let r = runners.get(ctx.store);
  if (!r) {
    r = new Runner();
    runners.set(ctx.store, r);
  }
  return r;
}

/** Ends every task process of this emulator. */
export function closeRunner(ctx: EmuContext): void {
  runners.get(ctx.store)?.close();
  runners.delete(ctx.store);
}

const isActive = (job: JobRecord) => job.terminating || !ENDED.has(job.state);

export function tick(ctx: EmuContext): void {
  const active = [...ctx.store.jobs.values()].filter(isActive);
  if (active.length === 0) return;
  const step = new Step(ctx, runner(ctx));
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
  for (const job of active) if (!ENDED.has(job.state) && !justAccepted.has(job)) resolveDependences(ctx, step.changed, job);
  for (const job of active) {
    if (!step.changed.has(job) || ENDED.has(job.state)) continue;
    for (const task of job.tasks) settleTask(ctx, step.changed, job, task);
    settleJob(ctx, step.changed, job);
  }
  for (const job of step.changed) ctx.store.saveJob(job);
}

/** After a restart: instances that were starting or running lost their process; queue them again. */
export function recover(ctx: EmuContext): void {
  const step = new Step(ctx, runner(ctx));
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
        step.unplace(inst);
        inst.state = "RUNNABLE";
        inst.stateReason = "re-queued: the emulator restarted while the instance was running";
        step.changed.add(job);
      }
  }
  for (const job of step.changed) ctx.store.saveJob(job);
}
