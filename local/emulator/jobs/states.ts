// The states of jobs, tasks and task instances, and how a parent's state follows its children's:
// never backwards while it runs; once all have ended, SUCCEED if all succeeded, FAILED_INTERRUPTED
// if an instance was kept, else FAILED.
import type { InstanceRecord, JobRecord } from "../state";

export type JobState = JobRecord["state"];
export type InstState = InstanceRecord["state"];

export const JOB_STATES: readonly JobState[] = ["SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING", "SUCCEED", "FAILED", "FAILED_INTERRUPTED"];
export const INSTANCE_STATES: readonly string[] = JOB_STATES;
export const ENDED = new Set<string>(["SUCCEED", "FAILED", "FAILED_INTERRUPTED"]);
export const RANK: Record<string, number> = { SUBMITTED: 0, PENDING: 1, RUNNABLE: 2, STARTING: 3, RUNNING: 4 };

/** The state of a task (or job) all of whose instances (or tasks) have ended. */
export function endedState(children: ReadonlyArray<{ state: string }>): "SUCCEED" | "FAILED" | "FAILED_INTERRUPTED" {
  if (children.every((c) => c.state === "SUCCEED")) return "SUCCEED";
  return children.some((c) => c.state === "FAILED_INTERRUPTED") ? "FAILED_INTERRUPTED" : "FAILED";
}

/** Count of each state, as Batch's TaskMetrics / TaskInstanceMetrics show them. */
export function metrics(states: readonly string[]): Record<string, number> {
  const count = (s: string) => states.filter((x) => x === s).length;
  return {
    SubmittedCount: count("SUBMITTED"),
    PendingCount: count("PENDING"),
    RunnableCount: count("RUNNABLE"),
    StartingCount: count("STARTING"),
    RunningCount: count("RUNNING"),
    SucceedCount: count("SUCCEED"),
    FailedInterruptedCount: count("FAILED_INTERRUPTED"),
    FailedCount: count("FAILED"),
  };
}

/** An instance as SubmitJob creates it, and as RetryJobs resets a failed one. */
export function freshInstance(index: number, now: number): InstanceRecord {
  return {
    index,
    state: "PENDING",
    exitCode: null,
    stateReason: "",
    nodeId: null,
    nodeInstanceId: null,
    createdAt: now,
    launchAt: null,
    runningAt: null,
    endAt: null,
    attempts: 0,
    stdoutTail: "",
    stderrTail: "",
    stdoutRedirect: null,
    stderrRedirect: null,
  };
}
