// The events a job publishes to its Notifications topics: JOB_*, TASK_*, TASK_INSTANCE_*, and
// the COMPUTE_NODE_* of the temporary node an anonymous env gives each instance.
import type { EmuContext } from "../context";
import type { InstanceRecord, JobRecord, TaskRecord } from "../state";
import type { Obj } from "../validate";
import { planOf } from "./plan";
import { time } from "./reads";

export function jobEvent(ctx: EmuContext, job: JobRecord, eventName: string, extra: Obj = {}): void {
  ctx.notify(job.notifications, eventName, job.region, { JobId: job.id, JobName: job.name, JobState: job.state, ...extra });
}

export function taskEvent(ctx: EmuContext, job: JobRecord, task: TaskRecord, eventName: string, extra: Obj = {}): void {
  jobEvent(ctx, job, eventName, { TaskName: task.name, TaskState: task.state, ...extra });
}

/** TASK_INSTANCE_<state> for the states that have an event. */
export function instanceEvent(ctx: EmuContext, job: JobRecord, task: TaskRecord, inst: InstanceRecord): void {
  if (!["RUNNING", "SUCCEED", "FAILED", "FAILED_INTERRUPTED"].includes(inst.state)) return;
  taskEvent(ctx, job, task, `TASK_INSTANCE_${inst.state}`, { TaskInstanceIndex: inst.index, TaskInstanceState: inst.state });
}

/** A node event of an anonymous env's temporary node; nothing for a named env's instance. */
export function anonNodeEvent(ctx: EmuContext, job: JobRecord, task: TaskRecord, inst: InstanceRecord, eventName: string, state: string): void {
  const anon = planOf(job, task).anon;
  if (!anon || !inst.nodeId) return;
  ctx.notify(job.notifications, eventName, job.region, {
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
