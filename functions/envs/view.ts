// What GET /envs and GET /envs/{EnvId} answer: the console's counts (desired, running, starting,
// abnormal, failed, deleting, pending) and, for one env, each node's age, cores, busy or idle,
// and cost per hour. Pure: Batch's replies, prices and a clock in, a view out.
import type { ComputeEnv, ComputeEnvView, ComputeNode, ComputeNodeMetrics } from "../../shared/batch/models";
import { parseBatchTime } from "../../shared/schemas/batch-time";
import { creatorOf } from "./owner";
import { coresOf, money, nodeCostPerHour, nodeInstanceType, type PriceTable } from "./pricing";

export type NodeGroup = "running" | "starting" | "abnormal" | "failed" | "deleting";

export interface NodeCounts {
  Running: number;
  Starting: number;
  Abnormal: number;
  Failed: number;
  Deleting: number;
  /** Desired nodes Batch has not started yet (quota, stock, or just asked). */
  Pending: number;
}

export interface NodeView {
  ComputeNodeId: string;
  ComputeNodeInstanceId: string | null;
  ComputeNodeState: string;
  Group: NodeGroup;
  /** A RUNNING or ABNORMAL node with no free task slot (TaskInstanceNumAvailable 0). */
  Busy: boolean;
  Cpu: number;
  Mem: number;
  InstanceType: string | null;
  ResourceCreatedTime: string | null;
  AgeSeconds: number | null;
  /** null when the instance type has no price. */
  CostPerHour: number | null;
  PrivateIpAddresses: string[];
}

export interface EnvSummary {
  EnvId: string;
  /** The Batch region the env lives in (that of its zone). */
  Region: string;
  EnvName: string;
  Zone: string;
  EnvType: string | null;
  CreateTime: string;
  /** `DELETING` while the env is being deleted. */
  NextAction: string | null;
  DesiredComputeNodeCount: number;
  NodeCounts: NodeCounts;
  Tags: Array<{ Key: string; Value: string }>;
  /** The API key that created the env through POST /envs (its batch-scf/creator tag); null when made elsewhere. */
  Creator: string | null;
}

export interface EnvDetail extends EnvSummary {
  InstanceTypes: string[];
  /** Cores of the nodes that count towards desired (not failed, not deleting). */
  Cores: number;
  BusyCores: number;
  IdleCores: number;
  /** Sum over nodes that are billed now (all but CREATION_FAILED); null if some node is unpriced. */
  CostPerHour: number | null;
  Currency: string;
  ComputeNodes: NodeView[];
}

export function groupOf(state: string): NodeGroup {
  switch (state) {
    case "RUNNING":
      return "running";
    case "ABNORMAL":
      return "abnormal";
    case "CREATION_FAILED":
      return "failed";
    case "DELETING":
      return "deleting";
    default:
      return "starting"; // PENDING, SUBMITTED, CREATING, CREATED
  }
}

/** Nodes that count towards the desired count: not failed, not on their way out. */
export const isLive = (n: Pick<ComputeNode, "ComputeNodeState">): boolean =>
  n.ComputeNodeState !== "DELETING" && n.ComputeNodeState !== "CREATION_FAILED";

/** Busy: running (or abnormal) with no free task slot. A node still starting is never busy. */
export const isBusy = (n: Pick<ComputeNode, "ComputeNodeState" | "TaskInstanceNumAvailable">): boolean =>
  (n.ComputeNodeState === "RUNNING" || n.ComputeNodeState === "ABNORMAL") && n.TaskInstanceNumAvailable <= 0;


export function countsFromMetrics(m: ComputeNodeMetrics, desired: number): NodeCounts {
  const starting = m.SubmittedCount + m.CreatingCount + m.CreatedCount;
  const live = starting + m.RunningCount + m.AbnormalCount;
  return {
    Running: m.RunningCount,
    Starting: starting,
    Abnormal: m.AbnormalCount,
    Failed: m.CreationFailedCount,
    Deleting: m.DeletingCount,
    Pending: Math.max(0, desired - live),
  };
}

export function countsFromNodes(nodes: readonly ComputeNode[], desired: number): NodeCounts {
  const count = (g: NodeGroup) => nodes.filter((n) => groupOf(n.ComputeNodeState) === g).length;
  return {
    Running: count("running"),
    Starting: count("starting"),
    Abnormal: count("abnormal"),
    Failed: count("failed"),
    Deleting: count("deleting"),
    Pending: Math.max(0, desired - nodes.filter(isLive).length),
  };
}

/** `region`: the one Batch answered from. */
export function envSummary(e: ComputeEnvView, region: string): EnvSummary {
  return {
    EnvId: e.EnvId,
    Region: region,
    EnvName: e.EnvName,
    Zone: e.Placement.Zone,
    EnvType: e.EnvType ?? null,
    CreateTime: e.CreateTime,
    NextAction: e.NextAction || null,
    DesiredComputeNodeCount: e.DesiredComputeNodeCount,
    NodeCounts: countsFromMetrics(e.ComputeNodeMetrics, e.DesiredComputeNodeCount),
    Tags: e.Tags ?? [],
    Creator: creatorOf(e),
  };
}

export interface PricingContext {
  prices: PriceTable;
  region: string;
  /** The env's instance types (from its creation info); [] when unknown. */
  instanceTypes: readonly string[];
  now: number;
}

export function nodeView(n: ComputeNode, p: PricingContext): NodeView {
  const created = parseBatchTime(n.ResourceCreatedTime);
  const ageSeconds = created === undefined ? null : Math.max(0, Math.floor((p.now - created) / 1000));
  const instanceType = nodeInstanceType(p.instanceTypes, n.Cpu, n.Mem);
  const cost = nodeCostPerHour(p.prices, p.region, instanceType, n.Cpu, ageSeconds ?? 0);
  return {
    ComputeNodeId: n.ComputeNodeId,
    ComputeNodeInstanceId: n.ComputeNodeInstanceId ?? null,
    ComputeNodeState: n.ComputeNodeState,
    Group: groupOf(n.ComputeNodeState),
    Busy: isBusy(n),
    Cpu: n.Cpu,
    Mem: n.Mem,
    InstanceType: instanceType ?? null,
    ResourceCreatedTime: n.ResourceCreatedTime ?? null,
    AgeSeconds: ageSeconds,
    CostPerHour: cost === undefined ? null : money(cost),
    PrivateIpAddresses: n.PrivateIpAddresses ?? [],
  };
}

/** A node is billed from creation until destroyed; a failed creation costs nothing. */
const isBilled = (n: NodeView): boolean => n.Group !== "failed";

export function envDetail(e: ComputeEnv, p: PricingContext): EnvDetail {
  const nodes = e.ComputeNodeSet.map((n) => nodeView(n, p));
  const live = e.ComputeNodeSet.filter(isLive);
  const cores = live.reduce((s, n) => s + n.Cpu, 0);
  const busyCores = live.filter(isBusy).reduce((s, n) => s + n.Cpu, 0);
  const billed = nodes.filter(isBilled);
  const unpriced = billed.some((n) => n.CostPerHour === null);
  return {
    ...envSummary(e, p.region),
    // From the nodes themselves: more exact than the env's metrics.
    NodeCounts: countsFromNodes(e.ComputeNodeSet, e.DesiredComputeNodeCount),
    InstanceTypes: [...p.instanceTypes],
    Cores: cores,
    BusyCores: busyCores,
    IdleCores: cores - busyCores,
    CostPerHour: unpriced ? null : money(billed.reduce((s, n) => s + (n.CostPerHour ?? 0), 0)),
    Currency: p.prices.currency,
    ComputeNodes: nodes,
  };
}

/** Cores one new node of this env is expected to have (for its cost): its first instance type, else what its nodes have. */
export function expectedCoresPerNode(e: Pick<ComputeEnv, "ComputeNodeSet">, instanceTypes: readonly string[]): number | undefined {
  return coresOf(instanceTypes[0]) ?? e.ComputeNodeSet.find((n) => n.Cpu > 0)?.Cpu;
}

/** Why the cores of new nodes are unknown, naming the types (for a maxCores refusal). */
export const unknownCoresReason = (unknown: readonly string[]): string =>
  unknown.length === 0
    ? "its instance types are unknown"
    : `the cores of instance type${unknown.length === 1 ? "" : "s"} ${unknown.join(", ")} are unknown`;
