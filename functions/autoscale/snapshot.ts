// What autoscale knows of an env, derived from Batch's replies alone (never from memory, so any
// container, or a dry run, decides the same): the env and its nodes (DescribeComputeEnv), its
// instance types (DescribeComputeEnvCreateInfo), its node activities
// (DescribeComputeEnvActivities) and the task instances placed with its EnvId (the jobs' submit
// info for the placement, DescribeTask for the instances). Pure: replies and a clock in, an
// AutoscaleSnapshot out. The reader (the timer function, next) decides which calls fill this.
import type { ComputeEnv, ComputeNode } from "../../shared/batch/models";
import { parseChangeStamp } from "../../shared/env-policy";
import { parseBatchTime } from "../../shared/schemas/batch-time";
import { coresOfNewNodes } from "../../shared/schemas/instance-types";
import type { AutoscaleSnapshot, LastChange, NodeSnapshot } from "./policy";
import { isBatchOwnActivity, latestChange } from "../../shared/schemas/activities";

/**
 * Task instances a node runs at once. Batch places one task instance per compute node
 * (TaskInstanceNumAvailable is 1 on an idle node, 0 on a busy one, whatever the instance type):
 * the emulator does the same (local/emulator/occupancy.ts, freeSlots) and the envs API calls a
 * node busy at 0 (functions/envs/view.ts, isBusy).
 */
export const SLOTS_PER_NODE = 1;

/**
 * How long after a stamp (shared/env-policy.ts, stampDescription) the activities it caused may start: a change is
 * stamped first and made next, and Batch's activity times are to the second.
 */
export const ATTRIBUTION_WINDOW_MS = 120_000;

/** A stamp at most this far ahead of the evaluating clock is believed (clock skew between containers). */
export const STAMP_SKEW_MS = 60_000;

export type NodeRead = Pick<ComputeNode, "ComputeNodeId" | "ComputeNodeState" | "Cpu" | "TaskInstanceNumAvailable"> & {
  ComputeNodeInstanceId?: string | null | undefined;
  ResourceCreatedTime?: string | null | undefined;
};

export type EnvRead = Pick<ComputeEnv, "EnvId" | "EnvName" | "DesiredComputeNodeCount"> & {
  CreateTime?: string | null | undefined;
  NextAction?: string | null | undefined;
  Tags?: Array<{ Key: string; Value: string }> | null | undefined;
  ComputeNodeSet: readonly NodeRead[];
};

export interface ActivityRead {
  ComputeNodeId: string;
  ComputeNodeActivityType: string;
  ActivityState?: string | null | undefined;
  Cause?: string | null | undefined;
  StartTime?: string | null | undefined;
  EndTime?: string | null | undefined;
}

export interface InstanceRead {
  TaskInstanceState: string;
  /** The CVM the instance was placed on (matches a node's ComputeNodeInstanceId). */
  ComputeNodeInstanceId?: string | null | undefined;
  EndTime?: string | null | undefined;
}

/** One task of a job, with the env it was placed in (the task's EnvId in its submit info). */
export interface TaskRead {
  EnvId?: string | null | undefined;
  /** The task's MaxConcurrentNum: at most this many of its instances run at once (0 or absent: no limit). */
  MaxConcurrentNum?: number | null | undefined;
  TaskInstanceSet: readonly InstanceRead[];
}

export interface BatchRead {
  env: EnvRead;
  /** The env's instance types (DescribeComputeEnvCreateInfo), in Batch's order. */
  instanceTypes: readonly string[];
  /** Its EnvDescription (DescribeComputeEnvCreateInfo), where changers stamp (shared/env-policy.ts). */
  description?: string | null | undefined;
  activities: readonly ActivityRead[];
  /**
   * Tasks placed with this env: every unfinished one, and every one with an instance that ended
   * at or after `instancesSince` (tasks of other envs are ignored).
   */
  tasks: readonly TaskRead[];
  /** The instance history in `tasks` is complete from this time on (epoch ms). */
  instancesSince: number;
}

/** Instances on a node now (it may not be scaled down even if its slots read free). */
const ON_NODE = new Set(["STARTING", "RUNNING", "FAILED_INTERRUPTED"]);

/** Cores of a new node for the maxCores bound (shared/schemas/instance-types.ts coresOfNewNodes); undefined when unknown. */
export function newNodeCores(instanceTypes: readonly string[]): number | undefined {
  const c = coresOfNewNodes(instanceTypes);
  return c.ok ? c.cores : undefined;
}

/**
 * Task instances of this env that wait for a node and may start now: RUNNABLE ones, at most
 * MaxConcurrentNum minus the task's started ones per task (PENDING ones wait for dependences,
 * not for nodes); and those running on its nodes.
 */
export function demandOf(envId: string, tasks: readonly TaskRead[], nodeInstanceIds: ReadonlySet<string>): { waiting: number; running: number } {
  let waiting = 0;
  let running = 0;
  for (const t of tasks) {
    if (t.EnvId !== envId) continue;
    let runnable = 0;
    let started = 0;
    for (const i of t.TaskInstanceSet) {
      if (i.TaskInstanceState === "RUNNABLE") runnable++;
      else if (i.TaskInstanceState === "STARTING" || i.TaskInstanceState === "RUNNING") {
        started++;
        if (i.ComputeNodeInstanceId && nodeInstanceIds.has(i.ComputeNodeInstanceId)) running++;
      }
    }
    const limit = t.MaxConcurrentNum && t.MaxConcurrentNum > 0 ? Math.max(0, t.MaxConcurrentNum - started) : runnable;
    waiting += Math.min(runnable, limit);
  }
  return { waiting, running };
}

/**
 * The env's latest change of size that was not Batch's own. A stamp (in the env's description) names
 * the author; the activities after it are that change being carried out (nodes destroyed, and
 * nodes created for the count it set, however late Batch creates them), except a DESTROY that
 * starts more than ATTRIBUTION_WINDOW_MS after it: nodes someone removed outside this project.
 * Without a stamp, the latest change (shared/schemas/activities.ts latestChange: not Batch's own
 * RECREATE, not the env's creation) is of unknown author (treated as manual).
 */
export function lastChangeOf(activities: readonly ActivityRead[], description: string | null | undefined, envCreatedAt?: number, now?: number): LastChange | undefined {
  const parsed = parseChangeStamp(description);
  // A stamp from the future (a clock far off, or a description someone wrote by hand) is no stamp:
  // it would hold the env until then.
  const stamp = parsed && (now === undefined || parsed.at <= now + STAMP_SKEW_MS) ? parsed : undefined;
  const latest = latestChange(activities, envCreatedAt)?.at;
  let latestDestroy: number | undefined;
  for (const a of activities) {
    if (isBatchOwnActivity(a.Cause) || a.ComputeNodeActivityType.toUpperCase() !== "DESTROY") continue;
    const t = parseBatchTime(a.StartTime);
    if (t !== undefined && (latestDestroy === undefined || t > latestDestroy)) latestDestroy = t;
  }
  if (stamp) {
    if (latestDestroy !== undefined && latestDestroy > stamp.at + ATTRIBUTION_WINDOW_MS) return { by: "unknown", at: latestDestroy };
    return { by: stamp.by, at: stamp.at };
  }
  return latest === undefined ? undefined : { by: "unknown", at: latest };
}

/**
 * Since when each node has run nothing, at the latest: the latest of its creation, its CREATE
 * activity's end (ready), the end of the last instance that ran on it, and `instancesSince`
 * (the history is complete from then: no instance ended on it since, unless listed). A node with
 * an instance on it (its slots read, or an unfinished instance naming it) is busy: idle since now.
 */
export function idleSinceOf(
  node: NodeRead,
  readyAt: ReadonlyMap<string, number>,
  lastEnd: ReadonlyMap<string, number>,
  onNode: ReadonlySet<string>,
  instancesSince: number,
  now: number,
): number {
  const ins = node.ComputeNodeInstanceId ?? undefined;
  if (node.TaskInstanceNumAvailable < SLOTS_PER_NODE || (ins !== undefined && onNode.has(ins))) return now;
  let since = instancesSince;
  for (const t of [parseBatchTime(node.ResourceCreatedTime), readyAt.get(node.ComputeNodeId), ins === undefined ? undefined : lastEnd.get(ins)])
    if (t !== undefined && t > since) since = t;
  return since;
}

export function snapshotOf(read: BatchRead, now: number): AutoscaleSnapshot {
  const { env } = read;
  const readyAt = new Map<string, number>();
  for (const a of read.activities) {
    if (a.ComputeNodeActivityType.toUpperCase() !== "CREATE") continue;
    const end = parseBatchTime(a.EndTime);
    if (end !== undefined && end > (readyAt.get(a.ComputeNodeId) ?? Number.NEGATIVE_INFINITY)) readyAt.set(a.ComputeNodeId, end);
  }
  const lastEnd = new Map<string, number>();
  const onNode = new Set<string>();
  for (const t of read.tasks) {
    if (t.EnvId !== env.EnvId) continue;
    for (const i of t.TaskInstanceSet) {
      const ins = i.ComputeNodeInstanceId;
      if (!ins) continue;
      const end = parseBatchTime(i.EndTime);
      if (end !== undefined) {
        if (end > (lastEnd.get(ins) ?? Number.NEGATIVE_INFINITY)) lastEnd.set(ins, end);
      } else if (ON_NODE.has(i.TaskInstanceState)) onNode.add(ins);
    }
  }
  const nodes: NodeSnapshot[] = env.ComputeNodeSet.map((n) => {
    const ins = n.ComputeNodeInstanceId ?? undefined;
    const busy = ins !== undefined && onNode.has(ins);
    return {
      id: n.ComputeNodeId,
      state: n.ComputeNodeState,
      cpu: n.Cpu,
      // An unfinished instance on it makes it busy, whatever its slots read (reads are not atomic).
      freeSlots: busy ? 0 : Math.max(0, n.TaskInstanceNumAvailable),
      idleSince: idleSinceOf(n, readyAt, lastEnd, onNode, read.instancesSince, now),
    };
  });
  const healthy = new Set(env.ComputeNodeSet.filter((n) => n.ComputeNodeState === "RUNNING" && n.ComputeNodeInstanceId).map((n) => n.ComputeNodeInstanceId as string));
  const { waiting, running } = demandOf(env.EnvId, read.tasks, healthy);
  return {
    envId: env.EnvId,
    envName: env.EnvName,
    desired: env.DesiredComputeNodeCount,
    deleting: env.NextAction === "DELETING",
    nodes,
    waiting,
    running,
    slotsPerNode: SLOTS_PER_NODE,
    newNodeCores: newNodeCores(read.instanceTypes),
    lastChange: lastChangeOf(read.activities, read.description, parseBatchTime(env.CreateTime), now),
  };
}
