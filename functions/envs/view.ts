// What GET /envs and GET /envs/{EnvId} answer: the console's counts (desired, running, starting,
// abnormal, failed, deleting, pending) and, for one env, each node's age, cores, busy or idle,
// and cost per hour. Pure: Batch's replies, prices and a clock in, a view out.
import type { ComputeEnv, ComputeEnvView, ComputeNode, ComputeNodeMetrics } from "../../shared/batch/models";
import { coresOf, money, nodeCostPerHour, nodeInstanceType, type PriceTable } from "./pricing";

export type NodeGroup = "running" | "starting" | "abnormal" | "failed" | "deleting";

export interface NodeCounts {
  running: number;
  starting: number;
  abnormal: number;
  failed: number;
  deleting: number;
  /** Desired nodes Batch has not started yet (quota, stock, or just asked). */
  pending: number;
}

export interface NodeView {
  nodeId: string;
  instanceId: string | null;
  state: string;
  group: NodeGroup;
  /** A RUNNING or ABNORMAL node with no free task slot (TaskInstanceNumAvailable 0). */
  busy: boolean;
  cores: number;
  memGiB: number;
  instanceType: string | null;
  createdAt: string | null;
  ageSeconds: number | null;
  /** null when the instance type has no price. */
  costPerHour: number | null;
  privateIps: string[];
}

export interface EnvSummary {
  envId: string;
  envName: string;
  zone: string;
  envType: string | null;
  createdAt: string;
  /** `DELETING` while the env is being deleted. */
  nextAction: string | null;
  desired: number;
  nodes: NodeCounts;
  tags: Array<{ Key: string; Value: string }>;
}

export interface EnvDetail extends EnvSummary {
  instanceTypes: string[];
  /** Cores of the nodes that count towards desired (not failed, not deleting). */
  cores: number;
  busyCores: number;
  idleCores: number;
  /** Sum over nodes that are billed now (all but CREATION_FAILED); null if some node is unpriced. */
  costPerHour: number | null;
  currency: string;
  nodeList: NodeView[];
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

/** Lenient ISO-8601 parse (`2018-06-15T14:43:18Z`, or `2018-06-15 14:43:18` read as UTC). */
export function parseTime(v: string | null | undefined): number | undefined {
  if (!v) return undefined;
  const s = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(v) ? `${v.replace(" ", "T")}Z` : v;
  const ms = Date.parse(s);
  return Number.isNaN(ms) ? undefined : ms;
}

export function countsFromMetrics(m: ComputeNodeMetrics, desired: number): NodeCounts {
  const starting = m.SubmittedCount + m.CreatingCount + m.CreatedCount;
  const live = starting + m.RunningCount + m.AbnormalCount;
  return {
    running: m.RunningCount,
    starting,
    abnormal: m.AbnormalCount,
    failed: m.CreationFailedCount,
    deleting: m.DeletingCount,
    pending: Math.max(0, desired - live),
  };
}

export function countsFromNodes(nodes: readonly ComputeNode[], desired: number): NodeCounts {
  const c: NodeCounts = { running: 0, starting: 0, abnormal: 0, failed: 0, deleting: 0, pending: 0 };
  for (const n of nodes) c[groupOf(n.ComputeNodeState)]++;
  c.pending = Math.max(0, desired - nodes.filter(isLive).length);
  return c;
}

export function envSummary(e: ComputeEnvView): EnvSummary {
  return {
    envId: e.EnvId,
    envName: e.EnvName,
    zone: e.Placement.Zone,
    envType: e.EnvType ?? null,
    createdAt: e.CreateTime,
    nextAction: e.NextAction || null,
    desired: e.DesiredComputeNodeCount,
    nodes: countsFromMetrics(e.ComputeNodeMetrics, e.DesiredComputeNodeCount),
    tags: e.Tags ?? [],
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
  const created = parseTime(n.ResourceCreatedTime);
  const ageSeconds = created === undefined ? null : Math.max(0, Math.floor((p.now - created) / 1000));
  const instanceType = nodeInstanceType(p.instanceTypes, n.Cpu, n.Mem);
  const cost = nodeCostPerHour(p.prices, p.region, instanceType, n.Cpu, ageSeconds ?? 0);
  return {
    nodeId: n.ComputeNodeId,
    instanceId: n.ComputeNodeInstanceId ?? null,
    state: n.ComputeNodeState,
    group: groupOf(n.ComputeNodeState),
    busy: isBusy(n),
    cores: n.Cpu,
    memGiB: n.Mem,
    instanceType: instanceType ?? null,
    createdAt: n.ResourceCreatedTime ?? null,
    ageSeconds,
    costPerHour: cost === undefined ? null : money(cost),
    privateIps: n.PrivateIpAddresses ?? [],
  };
}

/** A node is billed from creation until destroyed; a failed creation costs nothing. */
const isBilled = (n: NodeView): boolean => n.group !== "failed";

export function envDetail(e: ComputeEnv, p: PricingContext): EnvDetail {
  const nodeList = e.ComputeNodeSet.map((n) => nodeView(n, p));
  const live = e.ComputeNodeSet.filter(isLive);
  const cores = live.reduce((s, n) => s + n.Cpu, 0);
  const busyCores = live.filter(isBusy).reduce((s, n) => s + n.Cpu, 0);
  const billed = nodeList.filter(isBilled);
  const unpriced = billed.some((n) => n.costPerHour === null);
  return {
    envId: e.EnvId,
    envName: e.EnvName,
    zone: e.Placement.Zone,
    envType: e.EnvType ?? null,
    createdAt: e.CreateTime,
    nextAction: e.NextAction || null,
    desired: e.DesiredComputeNodeCount,
    nodes: countsFromNodes(e.ComputeNodeSet, e.DesiredComputeNodeCount),
    tags: e.Tags ?? [],
    instanceTypes: [...p.instanceTypes],
    cores,
    busyCores,
    idleCores: cores - busyCores,
    costPerHour: unpriced ? null : money(billed.reduce((s, n) => s + (n.costPerHour ?? 0), 0)),
    currency: p.prices.currency,
    nodeList,
  };
}

/** Cores one new node of this env would have: its first instance type, else what its nodes have. */
export function coresPerNewNode(e: Pick<ComputeEnv, "ComputeNodeSet">, instanceTypes: readonly string[]): number | undefined {
  return coresOf(instanceTypes[0]) ?? e.ComputeNodeSet.find((n) => n.Cpu > 0)?.Cpu;
}
