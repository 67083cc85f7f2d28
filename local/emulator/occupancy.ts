// Node occupancy: which node of a named compute environment runs which task instance. A node
// takes one task instance at a time (TaskInstanceNumAvailable 1 or 0); `busyWith` holds the
// instance's key. Envs read it (views, scale-down order), jobs take and free nodes through it.
import type { EmuContext } from "./context";
import type { EnvRecord, NodeRecord } from "./state";

/** The key a busy node holds: `${jobId}/${taskName}/${index}`. */
export const instanceKey = (jobId: string, taskName: string, index: number): string => `${jobId}/${taskName}/${index}`;

export const isBusy = (node: NodeRecord): boolean => Boolean(node.busyWith);

/** Task instances the node can take now (DescribeComputeEnv's TaskInstanceNumAvailable). */
export const freeSlots = (node: NodeRecord): number => (isBusy(node) ? 0 : 1);

/** Nodes that can take a task instance now: RUNNING and not busy. */
export function idleNodes(env: EnvRecord): NodeRecord[] {
  return env.nodes.filter((n) => n.state === "RUNNING" && !isBusy(n));
}

function hold(ctx: EmuContext, env: EnvRecord, node: NodeRecord, busyWith: string | undefined): void {
  node.busyWith = busyWith;
  ctx.store.saveEnv(env);
}

/** Places a task instance (its instanceKey) on a node: TaskInstanceNumAvailable becomes 0. */
export function occupyNode(ctx: EmuContext, env: EnvRecord, node: NodeRecord, busyWith: string): void {
  if (!env.nodes.includes(node)) throw new Error(`node ${node.id} is not in env ${env.id}`);
  hold(ctx, env, node, busyWith);
}

/**
 * Occupancy within one scheduler step (one tick, which never adds or removes nodes): nodes found
 * by id in O(1), each env's idle nodes listed once and handed out from the front, so placing is
 * linear in instances + nodes.
 */
export class StepOccupancy {
  private readonly byId = new Map<EnvRecord, Map<string, NodeRecord>>();
  private readonly idle = new Map<EnvRecord, { nodes: NodeRecord[]; next: number }>();

  constructor(private readonly ctx: EmuContext) {}

  /** The env's node with this id (as `env.nodes.find` would answer). */
  node(env: EnvRecord, nodeId: string): NodeRecord | undefined {
    let byId = this.byId.get(env);
    if (!byId) {
      byId = new Map();
      for (const n of env.nodes) if (!byId.has(n.id)) byId.set(n.id, n);
      this.byId.set(env, byId);
    }
    return byId.get(nodeId);
  }

  /** Gives the env's next idle node to the instance `key`; undefined when none is left this step. */
  take(env: EnvRecord, key: string): NodeRecord | undefined {
    let pool = this.idle.get(env);
    if (!pool) {
      pool = { nodes: idleNodes(env), next: 0 };
      this.idle.set(env, pool);
    }
    const node = pool.nodes[pool.next];
    if (!node) return undefined;
    pool.next++;
    hold(this.ctx, env, node, key);
    return node;
  }

  /** Frees the node if it still runs the instance `key` (a node gone or taken away is left alone). */
  release(env: EnvRecord, nodeId: string, key: string): void {
    const node = this.node(env, nodeId);
    if (node && node.busyWith === key) hold(this.ctx, env, node, undefined);
  }
}
