// The nodes a report counts: their lifetimes per env (step 1), each one's price (step 2)
// and the time task instances kept it busy (step 3).
import { type PriceTable, type Rate, rateFor } from "../../shared/prices";
import { type NodeLife, nodeLives, type Periods } from "./lifetimes";
import type { DataGap, EnvInput, JobInput } from "./model";

export interface Lifetimes {
  lives: NodeLife[];
  gaps: DataGap[];
  /** Per env id. */
  failedCreations: Map<string, number>;
}

/** Step 1: every env's node lifetimes, in env order, with the gaps their history leaves. */
export function lifetimesOf(envs: readonly EnvInput[], now: number, periods: Periods): Lifetimes {
  const out: Lifetimes = { lives: [], gaps: [], failedCreations: new Map() };
  for (const env of envs) {
    const r = nodeLives(env, now, periods);
    out.lives.push(...r.lives);
    out.gaps.push(...r.gaps);
    out.failedCreations.set(env.envId, r.failedCreations);
  }
  return out;
}

export interface PricedNode {
  life: NodeLife;
  /** Undefined: the node's type has no price (unpriced, never free). */
  rate: Rate | undefined;
}

export interface PricedNodes {
  nodes: PricedNode[];
  /** Sorted; types of nodes with cores but no price. */
  unpricedTypes: string[];
  /** Some node's price has more than one tier. */
  tiersApplied: boolean;
}

/** Step 2: each node's rate, from its type, its env's region and its cores. */
export function priceNodes(lives: readonly NodeLife[], envs: readonly EnvInput[], prices: PriceTable): PricedNodes {
  const regionOf = new Map(envs.map((e) => [e.envId, e.region]));
  const rateCache = new Map<string, Rate | undefined>();
  const unpricedTypes = new Set<string>();
  let tiersApplied = false;
  const nodes = lives.map((life) => {
    const region = regionOf.get(life.envId) ?? "";
    const key = `${life.instanceType}\u0000${region}\u0000${life.cores}`;
    if (!rateCache.has(key)) rateCache.set(key, rateFor(prices, life.instanceType, region, life.cores));
    const rate = rateCache.get(key);
    if (!rate && life.cores > 0) unpricedTypes.add(life.instanceType);
    if (rate?.tiered) tiersApplied = true;
    return { life, rate };
  });
  return { nodes, unpricedTypes: [...unpricedTypes].sort(), tiersApplied };
}

export type Interval = [number, number];

/** Sorted, non-overlapping intervals covering the same instants. Sorts `list` in place. */
export function mergeIntervals(list: Interval[]): Interval[] {
  if (list.length < 2) return list;
  list.sort((x, y) => x[0] - y[0]);
  const out: Interval[] = [];
  for (const iv of list) {
    const last = out[out.length - 1];
    if (last && iv[0] <= last[1]) last[1] = Math.max(last[1], iv[1]);
    else out.push([iv[0], iv[1]]);
  }
  return out;
}

export interface BusyNode extends PricedNode {
  /** Merged busy intervals inside the node's life. */
  busy: Interval[];
}

/** Where one task instance ran, and when; `node` is undefined outside the reported envs. */
export interface Placement {
  node: BusyNode | undefined;
  start: number;
  end: number;
}

export interface BusyTime {
  /** The priced nodes, in the same order, each with its busy intervals. */
  nodes: BusyNode[];
  /** Per job id, its instances that ran (in instance order). */
  placements: Map<string, Placement[]>;
}

const RUNNING_STATES = new Set(["RUNNING", "STARTING"]);

/**
 * Step 3: task instances placed on the node of an env they ran on (by CVM instance id),
 * each clipped to `now`; a running instance counts to `now`, one with no end to its start.
 */
export function placeInstances(priced: readonly PricedNode[], jobs: readonly JobInput[], now: number): BusyTime {
  const nodes: BusyNode[] = priced.map((p) => ({ ...p, busy: [] }));
  const byInstance = new Map<string, BusyNode[]>();
  for (const p of nodes) {
    if (!p.life.instanceId) continue;
    const list = byInstance.get(p.life.instanceId);
    if (list) list.push(p);
    else byInstance.set(p.life.instanceId, [p]);
  }
  const placements = new Map<string, Placement[]>();
  for (const job of jobs) {
    const placed: Placement[] = [];
    for (const inst of job.instances) {
      if (inst.start === undefined) continue;
      const start = inst.start;
      const end = Math.min(inst.end ?? (RUNNING_STATES.has(inst.state) ? now : start), now);
      if (end <= start) continue;
      const candidates = inst.nodeInstanceId ? byInstance.get(inst.nodeInstanceId) : undefined;
      const node = candidates?.find((c) => start < c.life.end && end > c.life.start) ?? candidates?.[0];
      if (node) {
        const lo = Math.max(start, node.life.start);
        const hi = Math.min(end, node.life.end);
        if (hi > lo) node.busy.push([lo, hi]);
      }
      placed.push({ node, start, end });
    }
    placements.set(job.jobId, placed);
  }
  for (const p of nodes) p.busy = mergeIntervals(p.busy);
  return { nodes, placements };
}
