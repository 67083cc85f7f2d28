// The autoscale decision: a pure function of the env as Batch shows it now (snapshot.ts derives
// it from Batch's replies), the env's autoscale settings (shared/env-policy.ts, autoscaleFor) and
// a clock. No memory between evaluations: the same snapshot always gives the same decision, and
// applying a decision then evaluating again gives `none` (the property tests check it).
//
// Rules, and where they come from:
// - demand is what runs the waiting work now: nodes busy with task instances, plus nodes for the
//   instances that wait for this env and may start now (Azure Batch's $PendingTasks, KEDA's queue
//   length); desired = that, within [minNodes, maxNodes] and maxCores;
// - nodes still starting (PENDING/SUBMITTED/CREATING/CREATED) and desired nodes Batch has not
//   created yet count as capacity coming: a boot is never answered with a second scale-up;
// - scale up at once, with at most `maxStepUp` desired nodes not yet running (starting, or not
//   yet created) at any time, so at most that many new nodes per evaluation: a runaway reading
//   costs a bounded step, and a step is never repeated while its nodes boot;
// - ABNORMAL nodes (and any state this code does not know) are neither demand nor idle capacity:
//   they keep their place in the desired count for node-abnormal's or Batch's own replacement
//   (ActionIfComputeNodeInactive=RECREATE), and are never terminated here;
// - scale down only RUNNING nodes idle for `scaleDownAfterSeconds` (cluster-autoscaler's
//   scale-down-unneeded-time), never a busy one, never a starting one, never below minNodes, to
//   zero when minNodes is 0, and not while any instance waits (Batch is about to place it on an
//   idle node: terminating that node would race the placement). Nodes go by TerminateComputeNodes
//   of the ones chosen here, never by lowering the desired count (Batch would pick, maybe a busy one);
// - a change by someone else is not undone within that author's window (the env's last change,
//   snapshot.ts): a manual one (the envs API, the console, anything unstamped) holds the env as
//   it is for `manualHoldSeconds`, either way; a remediation holds scale-down for
//   `remediationHoldSeconds` (growth for waiting work still goes ahead). Autoscale's own changes
//   hold nothing: their hysteresis is below;
// - allowScaling false, or the env being deleted: nothing changes, explained.
//
// Hysteresis (why it does not flap): up is immediate, down needs a node idle for the whole
// window, so a node added for a burst lives at least `scaleDownAfterSeconds` and demand that
// comes back within the window finds it; scale-down never happens while work waits; capacity
// coming is counted, so repeated evaluations during a boot add nothing. A reversal (down then up)
// therefore needs new work after at least `scaleDownAfterSeconds` of idleness: that is demand
// coming back, not the loop oscillating.
import type { AutoscaleSettings, ChangeAuthor } from "../../shared/env-policy";
import { formatBatchTime } from "../../shared/schemas/batch-time";

/** A node as autoscale sees it. */
export interface NodeSnapshot {
  id: string;
  state: string;
  cpu: number;
  /** Task instances the node can take now (TaskInstanceNumAvailable). */
  freeSlots: number;
  /**
   * Since when the node has run no task instance, at the latest (snapshot.ts: creation, readiness,
   * instance end times, the start of the instance history it read). undefined: unknown, never
   * scaled down. Meaningful only for a node with every slot free.
   */
  idleSince?: number | undefined;
}

/** The env's latest change of size that was not Batch's own, and on whose behalf. */
export interface LastChange {
  /** `unknown`: a change no stamp accounts for (the console, another tool): treated as manual. */
  by: ChangeAuthor | "unknown";
  at: number;
}

export interface AutoscaleSnapshot {
  envId: string;
  envName: string;
  /** DesiredComputeNodeCount. */
  desired: number;
  /** NextAction DELETING. */
  deleting: boolean;
  nodes: readonly NodeSnapshot[];
  /** Task instances placed with this EnvId that wait for a node and may start now. */
  waiting: number;
  /** Task instances running on the env's healthy nodes (for the audit line). */
  running: number;
  /** Task instances one node runs at once (1 on Batch: snapshot.ts, SLOTS_PER_NODE). */
  slotsPerNode: number;
  /** Cores of a new node: the largest of the env's instance types; undefined when unknown. */
  newNodeCores?: number | undefined;
  lastChange?: LastChange | undefined;
}

export type AutoscaleAction = "none" | "scale_up" | "scale_down" | "hold";

/** Which rule had the last word. */
export type DecidingRule =
  | "demand"
  | "minNodes"
  | "maxNodes"
  | "maxCores"
  | "maxStepUp"
  | "capacityComing"
  | "scaleDownAfterSeconds"
  | "waiting"
  | "manualHold"
  | "remediationHold"
  | "allowScaling"
  | "deleting";

export interface Demand {
  waiting: number;
  running: number;
  busyNodes: number;
  /** Nodes that run the waiting work now: busy nodes + nodes for the waiting instances. */
  nodesNeeded: number;
}

export interface Capacity {
  running: number;
  idle: number;
  starting: number;
  /** Desired nodes Batch has not created yet. */
  pending: number;
  /** ABNORMAL (or unknown state): in the desired count, neither demand nor capacity. */
  abnormal: number;
}

export interface AutoscaleDecision {
  envId: string;
  envName: string;
  action: AutoscaleAction;
  /** Desired count now. */
  before: number;
  /** Desired count after the decision (= before unless scale_up / scale_down). */
  after: number;
  /** Nodes to terminate (TerminateComputeNodes lowers desired by as many): scale_down only. */
  terminate: string[];
  /** The desired count autoscale would set without holds, steps or idle windows. */
  target: number;
  demand: Demand;
  capacity: Capacity;
  rule: DecidingRule;
  /** A sentence a person can read. */
  why: string;
}

const STARTING = new Set(["PENDING", "SUBMITTED", "CREATING", "CREATED"]);
/** Gone or going: not in the desired count's live nodes, not capacity. */
const GONE = new Set(["CREATION_FAILED", "DELETING"]);

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export function decide(snapshot: AutoscaleSnapshot, settings: AutoscaleSettings, now: number): AutoscaleDecision {
  const s = snapshot;
  const slots = Math.max(1, s.slotsPerNode);
  const before = Math.max(0, s.desired);
  const running = s.nodes.filter((n) => n.state === "RUNNING");
  const busy = running.filter((n) => n.freeSlots < slots);
  const idle = running.filter((n) => n.freeSlots >= slots);
  const starting = s.nodes.filter((n) => STARTING.has(n.state));
  const held = s.nodes.filter((n) => n.state !== "RUNNING" && !STARTING.has(n.state) && !GONE.has(n.state));
  const live = running.length + starting.length + held.length;
  const pending = Math.max(0, before - live);
  const waiting = Math.max(0, s.waiting);

  // Demand, in nodes: the busy ones, plus enough for what waits beyond their free slots.
  const freeOnBusy = busy.reduce((sum, n) => sum + Math.max(0, n.freeSlots), 0);
  const nodesNeeded = busy.length + Math.ceil(Math.max(0, waiting - freeOnBusy) / slots);
  const demand: Demand = { waiting, running: Math.max(0, s.running), busyNodes: busy.length, nodesNeeded };
  const capacity: Capacity = { running: running.length, idle: idle.length, starting: starting.length, pending, abnormal: held.length };

  // Held (abnormal) nodes keep their place: their replacement fills it.
  const wanted = nodesNeeded + held.length;
  const ceiling = growthCeiling(s, settings, live);
  let target = Math.max(wanted, settings.minNodes);
  let bound: DecidingRule = target > wanted ? "minNodes" : "demand";
  if (target > ceiling.nodes && target > before) {
    target = Math.max(before, ceiling.nodes);
    bound = ceiling.rule;
  }

  const base = { envId: s.envId, envName: s.envName, before, target, demand, capacity };
  const name = `${s.envId} (${s.envName})`;
  const need = needSentence(demand, held.length);
  const result = (action: AutoscaleAction, after: number, terminate: string[], rule: DecidingRule, why: string): AutoscaleDecision => ({
    ...base,
    action,
    after,
    terminate,
    rule,
    why: `${name}: ${why}`,
  });

  if (s.deleting) return result("none", before, [], "deleting", `${need}; the env is being deleted, autoscale leaves it alone`);

  if (target > before) {
    // Desired nodes not running yet (starting, or not created) may be at most maxStepUp: the
    // desired count may reach the nodes that run (or hold a place) plus that many.
    const coming = Math.max(0, before - running.length - held.length);
    const room = Math.min(target, running.length + held.length + settings.maxStepUp) - before;
    const capNote =
      bound === "maxNodes"
        ? ` (capped at maxNodes ${settings.maxNodes})`
        : bound === "maxCores"
          ? ` (capped by maxCores ${settings.maxCores}: ${ceiling.note})`
          : bound === "minNodes"
            ? ` (minNodes ${settings.minNodes})`
            : "";
    if (room <= 0)
      return result(
        "none",
        before,
        [],
        "capacityComing",
        `${need}; ${plural(coming, "node")} still starting or not yet created count as capacity coming, and at most ${settings.maxStepUp} start at once (maxStepUp): more once they run`,
      );
    const after = before + room;
    const stepped = after < target;
    const why = `${need}; scaling up from ${before} to ${after}${capNote}${stepped ? `, ${target - after} more once these start (at most ${settings.maxStepUp} starting at once, maxStepUp)` : ""}${coming > 0 ? `; ${plural(coming, "node")} already coming counted` : ""}`;
    const hold = holdFor(s.lastChange, settings, now, "up");
    if (hold) return result("hold", before, [], hold.rule, `${why.replace("scaling up", "would scale up")}, but ${hold.why}`);
    return result("scale_up", after, [], stepped ? "maxStepUp" : bound, why);
  }

  if (target < before) {
    const excess = before - target;
    const window = settings.scaleDownAfterSeconds * 1000;
    const aged = idle.filter((n) => n.idleSince !== undefined && now - n.idleSince >= window);
    if (waiting > 0)
      return result("none", before, [], "waiting", `${need}; ${plural(waiting, "task instance")} ${waiting === 1 ? "waits" : "wait"} for a node, so no node is scaled down (Batch is placing work)`);
    if (aged.length === 0) {
      const soonest = idle
        .map((n) => (n.idleSince === undefined ? undefined : n.idleSince + window - now))
        .filter((x): x is number => x !== undefined)
        .sort((a, b) => a - b)[0];
      const detail =
        idle.length === 0
          ? `no node is idle (${plural(busy.length, "busy node")}, ${plural(starting.length, "starting")}, ${plural(held.length, "abnormal")}, ${plural(pending, "not yet created")})`
          : soonest === undefined
            ? `${plural(idle.length, "idle node")} but since when is unknown: none is scaled down`
            : `${plural(idle.length, "idle node")}, none idle for ${settings.scaleDownAfterSeconds} s yet (scaleDownAfterSeconds; the first in ${Math.ceil(soonest / 1000)} s)`;
      return result("none", before, [], "scaleDownAfterSeconds", `${need}; ${excess} more than needed, but ${detail}`);
    }
    // Longest idle first, then the newest (least warmed up), then by id: deterministic.
    aged.sort((a, b) => (a.idleSince ?? 0) - (b.idleSince ?? 0) || b.id.localeCompare(a.id));
    const chosen = aged.slice(0, excess);
    const after = before - chosen.length;
    const floor = target === settings.minNodes && target > wanted ? ` (minNodes ${settings.minNodes})` : "";
    const idleFor = chosen.map((n) => `${n.id} idle ${Math.floor((now - (n.idleSince ?? now)) / 1000)} s`).join(", ");
    const why = `${need}; scaling down from ${before} to ${after}${floor}: terminating ${plural(chosen.length, "node")} idle for at least ${settings.scaleDownAfterSeconds} s (${idleFor})${after > target ? `; ${after - target} more once idle that long` : ""}`;
    const hold = holdFor(s.lastChange, settings, now, "down");
    if (hold) return result("hold", before, [], hold.rule, `${why.replace("scaling down", "would scale down").replace(": terminating", ", terminating")}, but ${hold.why}`);
    return result("scale_down", after, chosen.map((n) => n.id), "scaleDownAfterSeconds", why);
  }

  if (bound === "maxNodes" || bound === "maxCores")
    return result(
      "none",
      before,
      [],
      bound,
      `${need}; the env has ${before} desired and may not grow: ${bound === "maxNodes" ? `maxNodes ${settings.maxNodes}` : `maxCores ${settings.maxCores} (${ceiling.note})`}`,
    );
  return result("none", before, [], bound, `${need}; the env has ${before} desired${bound === "minNodes" ? ` (minNodes ${settings.minNodes})` : ""}: nothing to do`);
}

/** The most nodes growth may reach: maxNodes, and maxCores with new nodes at the largest type's cores. */
function growthCeiling(s: AutoscaleSnapshot, settings: AutoscaleSettings, live: number): { nodes: number; rule: DecidingRule; note: string } {
  let nodes = settings.maxNodes;
  let rule: DecidingRule = "maxNodes";
  let note = "";
  if (settings.maxCores !== undefined) {
    const liveCores = s.nodes.filter((n) => !GONE.has(n.state)).reduce((sum, n) => sum + Math.max(0, n.cpu), 0);
    const byCores =
      s.newNodeCores === undefined || s.newNodeCores <= 0
        ? live
        : live + Math.floor((settings.maxCores - liveCores) / s.newNodeCores);
    if (byCores < nodes) {
      nodes = Math.max(0, byCores);
      rule = "maxCores";
      note =
        s.newNodeCores === undefined || s.newNodeCores <= 0
          ? "the cores of a new node are unknown, so no node is added"
          : `${liveCores} cores live, new nodes counted at ${s.newNodeCores}`;
    }
  }
  return { nodes, rule, note };
}

function holdFor(change: LastChange | undefined, settings: AutoscaleSettings, now: number, direction: "up" | "down"): { rule: DecidingRule; why: string } | undefined {
  if (!settings.allowScaling) return { rule: "allowScaling", why: "the env policy does not allow scaling this env (allowScaling: false)" };
  if (!change) return undefined;
  if (change.by === "manual" || change.by === "unknown") {
    const until = change.at + settings.manualHoldSeconds * 1000;
    if (now < until)
      return {
        rule: "manualHold",
        why: `${change.by === "manual" ? "it was scaled by hand" : "it was changed outside autoscale, node-abnormal and the envs API"} at ${formatBatchTime(change.at)}: autoscale leaves it as it is until ${formatBatchTime(until)} (manualHoldSeconds ${settings.manualHoldSeconds})`,
      };
  }
  if (change.by === "remediation" && direction === "down") {
    const until = change.at + settings.remediationHoldSeconds * 1000;
    if (now < until)
      return {
        rule: "remediationHold",
        why: `node-abnormal replaced nodes at ${formatBatchTime(change.at)}: no scale-down until ${formatBatchTime(until)} (remediationHoldSeconds ${settings.remediationHoldSeconds})`,
      };
  }
  return undefined;
}

function needSentence(d: Demand, abnormal: number): string {
  const work =
    d.waiting === 0 && d.busyNodes === 0
      ? "no task instance waits or runs"
      : `${plural(d.waiting, "task instance")} ${d.waiting === 1 ? "waits" : "wait"} and ${plural(d.busyNodes, "node is", "nodes are")} busy`;
  return `${work}: ${plural(d.nodesNeeded, "node")} run${d.nodesNeeded === 1 ? "s" : ""} the work now${abnormal > 0 ? ` (${plural(abnormal, "abnormal node")} kept for ${abnormal === 1 ? "its" : "their"} replacement)` : ""}`;
}

/** The decision's audit line fields (one line per decision: env, demand, before, after, why). */
export function auditFields(d: AutoscaleDecision, dryRun: boolean): Record<string, unknown> {
  return {
    what: "autoscale",
    env: d.envId,
    env_name: d.envName,
    action: d.action,
    dry_run: dryRun,
    demand: d.demand,
    capacity: d.capacity,
    before: d.before,
    after: d.after,
    target: d.target,
    terminate: d.terminate,
    rule: d.rule,
    why: d.why,
  };
}
