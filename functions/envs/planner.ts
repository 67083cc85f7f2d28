// The scaling planner: current env + its rule + its recent activities + the request + now →
// a plan (previous and next desired count, which nodes to terminate, cores and cost per hour
// before and after) or a refusal naming the rule. Pure: no SDK, no clock of its own.
//
// Guardrails, in the order they are checked:
//   allowScaling → scaleScopes → (target = DesiredComputeNodeCount or desired + delta)
//   → unchanged target: nothing to do → maxNodes / maxCores when growing, minNodes when shrinking
//   → cooldownSeconds since the env's latest activity → enough destroyable nodes to shrink.
// Bounds apply in the direction of the change: a env already above maxNodes may still shrink.
import type { Activity, ComputeEnv, ComputeNode } from "../../shared/batch/models";
import { LIMITS } from "../../shared/schemas/limits";
import type { EnvRule } from "../../shared/env-policy";
import { coresOfNewNodes } from "../../shared/schemas/instance-types";
import { formatBatchTime, parseBatchTime } from "../../shared/schemas/batch-time";
import { latestChange } from "../../shared/schemas/activities";
import { money, nodeCostPerHour } from "./pricing";
import { expectedCoresPerNode, isBusy, isLive, nodeView, type PricingContext, unknownCoresReason } from "./view";

export type ScaleTarget = { desired: number } | { delta: number };

export interface Capacity {
  DesiredComputeNodeCount: number;
  /** Nodes that count towards desired (before: now; after: once Batch has reached the desired count). */
  Nodes: number;
  Cores: number;
  /** null when some node's instance type has no price. */
  CostPerHour: number | null;
}

export interface Warning {
  path: string;
  message: string;
}

export interface ScalePlan {
  EnvId: string;
  PreviousDesiredComputeNodeCount: number;
  DesiredComputeNodeCount: number;
  Direction: "up" | "down" | "none";
  /** Nodes to destroy with TerminateComputeNodes (idle first), before the desired count is set. */
  TerminateNodes: string[];
  /** The subset of TerminateNodes that is busy (picked only because too few idle nodes remain). */
  BusyNodes: string[];
  Before: Capacity;
  After: Capacity;
  Warnings: Warning[];
  /** StartTime of the env's latest activity (what the cooldown counts from), if any. */
  LastActivityTime: string | null;
}

export interface Refusal {
  status: 403 | 409 | 422;
  code: string;
  /** The policy field (or precondition) that refused: `maxNodes`, `cooldownSeconds`, … */
  rule: string;
  message: string;
  retryAfterSeconds?: number;
}

export type PlanResult = { ok: true; plan: ScalePlan } | { ok: false; refusal: Refusal };

export interface PlanInput {
  env: ComputeEnv;
  rule: EnvRule;
  activities: readonly Activity[];
  target: ScaleTarget;
  /** Whether the caller holds one of rule.scaleScopes (decided by the HTTP layer's scope logic). */
  callerMayScale: boolean;
  pricing: PricingContext;
  now: number;
}

/** Destroyable by ModifyComputeEnv / TerminateComputeNodes and counted towards desired. */
const DESTROYABLE = new Set(["CREATED", "RUNNING", "ABNORMAL"]);

/** Lower ranks go first: idle abnormal, not yet running, idle running; busy ones last. */
function rank(n: ComputeNode): number {
  const busy = isBusy(n) ? 10 : 0;
  if (n.ComputeNodeState === "ABNORMAL") return busy;
  if (n.ComputeNodeState === "CREATED") return busy + 1;
  return busy + 2;
}

/** Scale-down order: idle before busy, then newest first (least warmed up), then by id. */
export function scaleDownOrder(nodes: readonly ComputeNode[]): ComputeNode[] {
  return nodes
    .filter((n) => DESTROYABLE.has(n.ComputeNodeState))
    .sort(
      (a, b) =>
        rank(a) - rank(b) ||
        (parseBatchTime(b.ResourceCreatedTime) ?? 0) - (parseBatchTime(a.ResourceCreatedTime) ?? 0) ||
        a.ComputeNodeId.localeCompare(b.ComputeNodeId),
    );
}


/** The env's latest change of size by anyone (shared/schemas/activities.ts latestChange), what the cooldown counts from. */
export const latestChangeOf = (env: Pick<ComputeEnv, "CreateTime">, activities: readonly Activity[]) =>
  latestChange(activities, parseBatchTime(env.CreateTime));

/** A refusal by the policy field `rule` (code `policy.<rule>`). */
export const policyRefusal = (status: Refusal["status"], rule: string, message: string, retryAfterSeconds?: number): Refusal => ({
  status,
  code: `policy.${rule}`,
  rule,
  message,
  ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
});

/** 403 policy.scaleScopes: `action` (scaling env-…, deleting env-…) needs one of the rule's scaleScopes. */
export const scaleScopesRefusal = (rule: EnvRule, action: string): Refusal =>
  policyRefusal(403, "scaleScopes", `${action} needs one of the scopes ${rule.scaleScopes.join(", ")} (policy scaleScopes)`);

/**
 * The cooldown refusal, when less than rule.cooldownSeconds have passed since the env's latest
 * change of size by anyone (`latest`, from latestChangeOf: not Batch's own RECREATE, not the env's
 * creation; read from Batch, so it holds across function instances); undefined when the env may
 * change. Shared by scaling and by terminating live nodes (both change capacity).
 */
export function cooldownRefusal(envId: string, rule: EnvRule, latest: ReturnType<typeof latestChangeOf>, now: number): Refusal | undefined {
  if (!latest || rule.cooldownSeconds <= 0) return undefined;
  const readyAt = latest.at + rule.cooldownSeconds * 1000;
  if (now >= readyAt) return undefined;
  const wait = Math.ceil((readyAt - now) / 1000);
  return policyRefusal(
    422,
    "cooldownSeconds",
    `${envId} changed at ${formatBatchTime(latest.at)} (${latest.activity.ComputeNodeActivityType} of ${latest.activity.ComputeNodeId}); the policy waits ${rule.cooldownSeconds} s between scaling actions (cooldownSeconds): retry in ${wait} s`,
    wait,
  );
}

const refuse = (refusal: Refusal): PlanResult => ({ ok: false, refusal });

function sumCost(values: ReadonlyArray<number | null>): number | null {
  if (values.some((v) => v === null)) return null;
  return money(values.reduce<number>((s, v) => s + (v ?? 0), 0));
}

export function planScale(input: PlanInput): PlanResult {
  const { env, rule, pricing } = input;
  const id = env.EnvId;
  if (env.NextAction === "DELETING")
    return refuse({ status: 409, code: "env_deleting", rule: "state", message: `${id} is being deleted; it cannot be scaled` });
  if (!rule.allowScaling) return refuse(policyRefusal(422, "allowScaling", `the policy for ${id} does not allow scaling (allowScaling: false)`));
  if (!input.callerMayScale) return refuse(scaleScopesRefusal(rule, `scaling ${id}`));

  const previous = env.DesiredComputeNodeCount;
  const next = "desired" in input.target ? input.target.desired : previous + input.target.delta;
  const live = env.ComputeNodeSet.filter(isLive);
  const views = new Map(live.map((n) => [n.ComputeNodeId, nodeView(n, pricing)]));
  const liveCores = live.reduce((s, n) => s + n.Cpu, 0);
  const cpn = expectedCoresPerNode(env, pricing.instanceTypes);
  const newType = pricing.instanceTypes[0];
  const newRate = cpn === undefined ? undefined : nodeCostPerHour(pricing.prices, pricing.region, newType, cpn, 0);
  const newCost = newRate === undefined ? null : money(newRate);
  const before: Capacity = {
    DesiredComputeNodeCount: previous,
    Nodes: live.length,
    Cores: liveCores,
    CostPerHour: sumCost(live.map((n) => views.get(n.ComputeNodeId)?.CostPerHour ?? null)),
  };
  const latest = latestChangeOf(env, input.activities);

  const planned = (Direction: ScalePlan["Direction"], TerminateNodes: string[], BusyNodes: string[], After: Capacity, Warnings: Warning[]): PlanResult => ({
    ok: true,
    plan: {
      EnvId: id,
      PreviousDesiredComputeNodeCount: previous,
      DesiredComputeNodeCount: next,
      Direction,
      TerminateNodes,
      BusyNodes,
      Before: before,
      After,
      Warnings,
      LastActivityTime: latest ? formatBatchTime(latest.at) : null,
    },
  });
  if (next === previous) return planned("none", [], [], before, []);
  const direction = next > previous ? "up" : "down";

  if (next < 0 || (direction === "down" && next < rule.minNodes))
    return refuse(policyRefusal(422, "minNodes", `${id} may not go below ${rule.minNodes} nodes (policy minNodes); asked for ${next}`));
  if (next > LIMITS.desiredNodesMax)
    return refuse({
      status: 422,
      code: "batch.desiredLimit",
      rule: "DesiredComputeNodeCount",
      message: `Batch allows at most ${LIMITS.desiredNodesMax} nodes per env (DesiredComputeNodeCount); asked for ${next}`,
    });
  if (direction === "up" && next > rule.maxNodes)
    return refuse(policyRefusal(422, "maxNodes", `${id} may not exceed ${rule.maxNodes} nodes (policy maxNodes); asked for ${next}`));

  // Which nodes go, for a scale-down: those beyond the new count among the ones that count.
  const excess = Math.max(0, live.length - next);
  const order = scaleDownOrder(live);
  const chosen = direction === "down" ? order.slice(0, excess) : [];
  const chosenIds = new Set(chosen.map((n) => n.ComputeNodeId));
  const kept = live.filter((n) => !chosenIds.has(n.ComputeNodeId));
  const added = Math.max(0, next - kept.length);
  const afterCores = kept.reduce((s, n) => s + n.Cpu, 0) + (added > 0 ? added * (cpn ?? 0) : 0);

  if (direction === "up" && rule.maxCores !== undefined) {
    // Batch may create any of the env's types: count each new node at the largest one's cores.
    const guard = coresOfNewNodes(pricing.instanceTypes);
    if (!guard.ok) return refuse(policyRefusal(422, "maxCores", `${id} has a maxCores limit but ${unknownCoresReason(guard.unknown)}`));
    const worstCores = kept.reduce((s, n) => s + n.Cpu, 0) + added * guard.cores;
    if (worstCores > rule.maxCores)
      return refuse(
        policyRefusal(
          422,
          "maxCores",
          `${next} nodes of ${id} could hold ${worstCores} cores (new nodes counted at ${guard.cores} cores, the largest of ${pricing.instanceTypes.join(", ")}); the policy allows at most ${rule.maxCores} (maxCores)`,
        ),
      );
  }

  const cooling = cooldownRefusal(id, rule, latest, input.now);
  if (cooling) return refuse(cooling);
  if (direction === "down" && order.length < excess) {
    const starting = live.length - order.length;
    return refuse({
      status: 409,
      code: "not_enough_destroyable_nodes",
      rule: "destroyableNodes",
      message: `scaling ${id} to ${next} needs ${excess} nodes destroyed, but only ${order.length} are CREATED, RUNNING or ABNORMAL (${starting} still starting); retry once they run`,
    });
  }

  const busy = chosen.filter(isBusy).map((n) => n.ComputeNodeId);
  const warnings: Warning[] = [];
  if (busy.length > 0)
    warnings.push({
      path: "BusyNodes",
      message: `too few idle nodes: ${busy.length} busy node(s) will be terminated and their task instances interrupted (${busy.join(", ")})`,
    });
  if (added > 0 && newCost === null && before.CostPerHour !== null)
    warnings.push({ path: "After.CostPerHour", message: "the instance type of new nodes has no price: cost after is unknown" });
  const after: Capacity = {
    DesiredComputeNodeCount: next,
    Nodes: next,
    Cores: afterCores,
    CostPerHour: sumCost([...kept.map((n) => views.get(n.ComputeNodeId)?.CostPerHour ?? null), ...Array(added).fill(newCost)]),
  };
  return planned(direction, chosen.map((n) => n.ComputeNodeId), busy, after, warnings);
}
