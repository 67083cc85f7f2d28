// One scheduler step (one tick) over the task instances: placing RUNNABLE instances on nodes,
// starting their commands, ending attempts (exit, timeout, lost node, TerminateJob) with retries
// and FailedAction, and freeing nodes. Jobs it changes are collected in `changed`.
import { join } from "node:path";
import type { EmuContext } from "../context";
import { findEnv } from "../envs";
import { instanceKey, StepOccupancy } from "../occupancy";
import { type Runner, taskEnv } from "../runner";
import type { InstanceRecord, JobRecord, TaskRecord } from "../state";
import { localPathFor } from "../storage";
import { anonNodeEvent, instanceEvent } from "./events";
import { planOf, redirectsOf } from "./plan";
import { settleJob, settleTask } from "./settle";
import { ENDED, type InstState } from "./states";

const keyOf = (job: JobRecord, task: TaskRecord, inst: InstanceRecord) => instanceKey(job.id, task.name, inst.index);

interface AttemptEnd {
  ok: boolean;
  exitCode: number | null;
  reason: string;
  tails?: { stdoutTail: string; stderrTail: string } | undefined;
  nodeLost?: boolean;
}

export class Step {
  readonly changed = new Set<JobRecord>();
  private readonly nodes: StepOccupancy;

  constructor(
    readonly ctx: EmuContext,
    readonly runner: Runner,
  ) {
    this.nodes = new StepOccupancy(ctx);
  }

  /** Frees the instance's node: a named env's node becomes idle, an anonymous node is destroyed. */
  releaseNodeOf(job: JobRecord, task: TaskRecord, inst: InstanceRecord): void {
    if (!inst.nodeId) return;
    const plan = planOf(job, task);
    if (plan.envId) {
      const env = findEnv(this.ctx, plan.envId);
      if (env) this.nodes.release(env, inst.nodeId, keyOf(job, task, inst));
    } else if (inst.runningAt !== null) {
      anonNodeEvent(this.ctx, job, task, inst, "COMPUTE_NODE_DELETING", "DELETING");
    }
  }

  setInstance(job: JobRecord, task: TaskRecord, inst: InstanceRecord, state: InstState, reason = inst.stateReason): void {
    inst.state = state;
    inst.stateReason = reason;
    // Only a RUNNING attempt has a process; a later start records its own group.
    if (state !== "RUNNING") inst.pgid = undefined;
    this.changed.add(job);
    instanceEvent(this.ctx, job, task, inst);
  }

  /** An attempt ended: success, a retry, or the instance's final failure. */
  endAttempt(job: JobRecord, task: TaskRecord, inst: InstanceRecord, o: AttemptEnd): void {
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
      this.unplace(inst);
      this.setInstance(job, task, inst, "RUNNABLE", `retry ${inst.attempts} of ${plan.maxRetry} after: ${o.reason}`);
      return;
    }
    inst.endAt = now;
    const keep = plan.failedAction !== "TERMINATE" && !o.nodeLost && !job.terminating;
    if (!keep) this.releaseNodeOf(job, task, inst);
    this.setInstance(job, task, inst, keep ? "FAILED_INTERRUPTED" : "FAILED", o.reason);
  }

  /** Forgets where the instance ran, so it can be placed again. */
  unplace(inst: InstanceRecord): void {
    inst.nodeId = null;
    inst.nodeInstanceId = null;
    inst.launchAt = null;
    inst.runningAt = null;
  }

  /** The node a placed instance runs on, or why it is no longer usable. */
  nodeProblem(job: JobRecord, task: TaskRecord, inst: InstanceRecord): string | undefined {
    const plan = planOf(job, task);
    if (!plan.envId || !inst.nodeId) return undefined;
    const env = findEnv(this.ctx, plan.envId);
    const node = env && this.nodes.node(env, inst.nodeId);
    if (!node) return `compute node ${inst.nodeId} is gone`;
    if (node.state !== "RUNNING") return `compute node ${node.id} is ${node.state}`;
    if (node.busyWith !== keyOf(job, task, inst)) return `compute node ${node.id} was taken away`;
    return undefined;
  }

  startRunning(job: JobRecord, task: TaskRecord, inst: InstanceRecord): void {
    const plan = planOf(job, task);
    inst.runningAt = this.ctx.now();
    inst.attempts++;
    inst.exitCode = null;
    inst.stdoutTail = "";
    inst.stderrTail = "";
    if (plan.anon) {
      anonNodeEvent(this.ctx, job, task, inst, "COMPUTE_NODE_CREATED", "CREATED");
      anonNodeEvent(this.ctx, job, task, inst, "COMPUTE_NODE_RUNNING", "RUNNING");
    }
    const { stdout, stderr } = redirectsOf(plan, job, task, inst.index);
    inst.stdoutRedirect = stdout ? stdout.path + stdout.name : null;
    inst.stderrRedirect = stderr ? stderr.path + stderr.name : null;
    this.setInstance(job, task, inst, "RUNNING", "");
    if (!this.ctx.exec) {
      this.endAttempt(job, task, inst, { ok: true, exitCode: 0, reason: "" });
      return;
    }
    let stdoutFile: string | undefined;
    let stderrFile: string | undefined;
    try {
      stdoutFile = stdout ? localPathFor(this.ctx.dataDir, stdout.path, stdout.name) : undefined;
      stderrFile = stderr ? localPathFor(this.ctx.dataDir, stderr.path, stderr.name) : undefined;
    } catch (e) {
      this.endAttempt(job, task, inst, { ok: false, exitCode: null, reason: `cannot redirect output: ${(e as Error).message}` });
      return;
    }
    // Kept on the record (flushed with this tick) so a restart after a crash can kill an orphan.
    inst.pgid = this.runner.start(keyOf(job, task, inst), {
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
          const result = this.runner.take(key);
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
            const tails = this.runner.kill(key);
            this.endAttempt(job, task, inst, { ok: false, exitCode: null, reason: problem, tails, nodeLost: true });
            continue;
          }
          if (now - (inst.runningAt ?? now) >= plan.timeoutMs) {
            const tails = this.runner.kill(key);
            this.endAttempt(job, task, inst, { ok: false, exitCode: null, reason: `Timeout: still running after ${plan.timeoutMs / 1000} s`, tails });
          }
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
        const tails = this.runner.kill(keyOf(job, task, inst));
        if (tails) {
          inst.stdoutTail = tails.stdoutTail;
          inst.stderrTail = tails.stderrTail;
        }
        const wasPlaced = inst.state === "STARTING" || inst.state === "RUNNING" || inst.state === "FAILED_INTERRUPTED";
        if (wasPlaced) this.releaseNodeOf(job, task, inst);
        inst.endAt = now;
        inst.state = "FAILED";
        inst.stateReason = "Terminated by TerminateJob";
        if (wasPlaced) instanceEvent(this.ctx, job, task, inst);
      }
    job.terminating = false;
    job.stateReason = "Terminated by TerminateJob";
    this.changed.add(job);
    for (const task of job.tasks) settleTask(this.ctx, this.changed, job, task);
    settleJob(this.ctx, this.changed, job);
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
    // Each task's STARTING/RUNNING count is taken once and kept up to date, so placing stays
    // linear; nothing else starts an instance while placing.
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
        const node = this.nodes.take(env, keyOf(job, task, inst));
        if (!node) continue;
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
