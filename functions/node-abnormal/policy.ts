// The remediation decision: a pure function of the env as Batch shows it now, the env's
// recent activities, the env's rule, the remediation config and a clock. Events only say
// which env to look at; what to do comes from this snapshot, so duplicate and
// out-of-order deliveries decide nothing new.
//
// Safeguards, and where they come from:
// - startup grace (AWS ASG health-check grace, Cluster API nodeStartupTimeout);
// - short-circuit when too much of the env is unhealthy (Cluster API maxUnhealthy,
//   cluster-autoscaler's 45 % / ok-total-unready-count): a mass failure is a network,
//   image or zone problem that replacements would make worse;
// - cooldown and an hourly cap per env, read from Batch's activities (so they hold across
//   containers), and never touching a node Batch is already destroying or recreating
//   (ActionIfComputeNodeInactive=RECREATE);
// - never above the env's maxNodes, opt-out per env (rule or tag), dry run.
import type { Alert } from "../../shared/alerts";
import type { Activity, ComputeEnv } from "../../shared/batch/models";
import { type EnvRule, REMEDIATION_OPT_OUT_TAG } from "../../shared/env-policy";
import { isBatchOwnActivity } from "../../shared/schemas/activities";
import { parseBatchTime } from "../../shared/schemas/batch-time";
import type { RemediationConfig } from "./config";

export type EnvSnapshot = Pick<ComputeEnv, "EnvId" | "EnvName" | "DesiredComputeNodeCount"> & {
  NextAction?: string | null | undefined;
  Tags?: Array<{ Key: string; Value: string }> | null | undefined;
  ComputeNodeSet: Array<{ ComputeNodeId: string; ComputeNodeState: string; ResourceCreatedTime?: string | null | undefined }>;
};

export type ActivitySnapshot = Pick<Activity, "ComputeNodeId" | "ComputeNodeActivityType" | "ActivityState"> & {
  Cause?: string | null | undefined;
  StartTime?: string | null | undefined;
  EndTime?: string | null | undefined;
};

export type NodeDecisionKind =
  | "replaced"
  | "dry-run"
  | "skipped:not-abnormal"
  | "skipped:grace"
  | "skipped:short-circuit"
  | "skipped:cooldown"
  | "skipped:cap"
  | "skipped:batch-recreating"
  | "skipped:opt-out"
  | "skipped:env-deleting";

export interface NodeDecision {
  nodeId: string;
  decision: NodeDecisionKind;
  /** The node's state now (`GONE` when Batch no longer lists it). */
  state: string;
  ageSeconds?: number;
  /** The node was itself created by a recent replacement: it failed again. */
  retry?: boolean;
}

export type RemediationAction =
  | { kind: "terminate"; nodeIds: string[] }
  | { kind: "set-desired"; desired: number; reason: "restore" | "surge" };

export interface DecisionInputs {
  desired: number;
  maxNodes: number;
  healthy: number;
  abnormal: number;
  creationFailed: number;
  /** Unhealthy (abnormal + creation-failed) nodes above this short-circuit remediation. */
  shortCircuitAbove: number;
  mode: RemediationConfig["mode"];
  /** Set when surge was asked for but would exceed maxNodes. */
  modeFallback?: "maxNodes" | "surge-pending";
  replacementsLastHour: number;
  maxReplacementsPerHour: number;
  cooldownRemainingSeconds: number;
  graceSeconds: number;
  dryRun: boolean;
}

export interface RemediationPlan {
  envId: string;
  envName: string;
  nodes: NodeDecision[];
  /** In order. With `dryRun` they are what would be done; the executor sends nothing. */
  actions: RemediationAction[];
  dryRun: boolean;
  alerts: Alert[];
  inputs: DecisionInputs;
}

export interface DecideInput {
  env: EnvSnapshot;
  activities: readonly ActivitySnapshot[];
  rule: Pick<EnvRule, "maxNodes" | "remediation">;
  config: RemediationConfig;
  now: number;
  /** Nodes the events named: reported even when they are no longer abnormal. */
  hintedNodeIds?: readonly string[];
}

const HOUR_MS = 3_600_000;
const TERMINATE_MAX_IDS = 100;
const HEALTHY = new Set(["RUNNING", "CREATED"]);
const IN_PROGRESS = new Set(["SUBMITTED", "PROCESSING"]);


/** Node terminations (ours, a user's, a scale-down): DESTROY activities Batch did not start itself. */
export function terminationTimes(activities: readonly ActivitySnapshot[]): number[] {
  const out: number[] = [];
  for (const a of activities) {
    if (a.ComputeNodeActivityType.toUpperCase() !== "DESTROY") continue;
    if (isBatchOwnActivity(a.Cause)) continue;
    const t = parseBatchTime(a.StartTime);
    if (t !== undefined) out.push(t);
  }
  return out;
}

export function decide(input: DecideInput): RemediationPlan {
  const { env, activities, rule, config, now } = input;
  const nodes = env.ComputeNodeSet;
  const byId = new Map(nodes.map((n) => [n.ComputeNodeId, n]));
  const abnormal = nodes.filter((n) => n.ComputeNodeState === "ABNORMAL");
  const creationFailed = nodes.filter((n) => n.ComputeNodeState === "CREATION_FAILED").length;
  const healthy = nodes.filter((n) => HEALTHY.has(n.ComputeNodeState)).length;
  const desired = Math.max(0, env.DesiredComputeNodeCount);
  const shortCircuitAbove = Math.max(config.okUnhealthyCount, (config.maxUnhealthyPercent / 100) * desired);
  const unhealthy = abnormal.length + creationFailed;

  const terminations = terminationTimes(activities);
  const lastTermination = terminations.length ? Math.max(...terminations) : undefined;
  const cooldownRemainingSeconds =
    lastTermination === undefined ? 0 : Math.max(0, Math.ceil((lastTermination + config.cooldownSeconds * 1000 - now) / 1000));
  const replacementsLastHour = terminations.filter((t) => t > now - HOUR_MS && t <= now).length;

  const inputs: DecisionInputs = {
    desired,
    maxNodes: rule.maxNodes,
    healthy,
    abnormal: abnormal.length,
    creationFailed,
    shortCircuitAbove,
    mode: config.mode,
    replacementsLastHour,
    maxReplacementsPerHour: config.maxReplacementsPerHour,
    cooldownRemainingSeconds,
    graceSeconds: config.graceSeconds,
    dryRun: config.dryRun,
  };
  const plan: RemediationPlan = {
    envId: env.EnvId,
    envName: env.EnvName,
    nodes: [],
    actions: [],
    dryRun: config.dryRun,
    alerts: [],
    inputs,
  };

  const abnormalIds = new Set(abnormal.map((n) => n.ComputeNodeId));
  for (const id of new Set(input.hintedNodeIds ?? [])) {
    if (!abnormalIds.has(id)) plan.nodes.push({ nodeId: id, decision: "skipped:not-abnormal", state: byId.get(id)?.ComputeNodeState ?? "GONE" });
  }
  if (abnormal.length === 0) return plan;

  const ageOf = (n: EnvSnapshot["ComputeNodeSet"][number]): number | undefined => {
    const created = parseBatchTime(n.ResourceCreatedTime);
    return created === undefined ? undefined : Math.max(0, Math.floor((now - created) / 1000));
  };
  const skipAll = (decision: NodeDecisionKind) => {
    for (const n of abnormal) plan.nodes.push(withAge({ nodeId: n.ComputeNodeId, decision, state: n.ComputeNodeState }, ageOf(n)));
  };

  const optedOut =
    !rule.remediation ||
    (env.Tags ?? []).some((t) => t.Key === REMEDIATION_OPT_OUT_TAG.Key && t.Value.toLowerCase() === REMEDIATION_OPT_OUT_TAG.Value);
  if (optedOut) {
    skipAll("skipped:opt-out");
    return plan;
  }
  if (env.NextAction === "DELETING") {
    skipAll("skipped:env-deleting");
    return plan;
  }
  if (unhealthy > shortCircuitAbove) {
    skipAll("skipped:short-circuit");
    plan.alerts.push({
      kind: "remediation.short-circuit",
      severity: "critical",
      summary: `${env.EnvId} (${env.EnvName}): ${unhealthy} of ${desired} desired nodes unhealthy, above ${formatLimit(shortCircuitAbove)}; not replacing anything (likely a network, image or zone problem)`,
      details: { env: env.EnvId, envName: env.EnvName, unhealthy, abnormal: abnormal.length, creationFailed, desired, shortCircuitAbove, nodes: [...abnormalIds] },
    });
    return plan;
  }

  const busyWithBatch = new Set(
    activities.filter((a) => IN_PROGRESS.has(a.ActivityState.toUpperCase())).map((a) => a.ComputeNodeId),
  );
  const candidates: Array<{ node: EnvSnapshot["ComputeNodeSet"][number]; age: number | undefined }> = [];
  for (const n of abnormal) {
    const age = ageOf(n);
    const base = withAge({ nodeId: n.ComputeNodeId, decision: "skipped:batch-recreating", state: n.ComputeNodeState }, age);
    if (busyWithBatch.has(n.ComputeNodeId)) plan.nodes.push(base);
    else if (age !== undefined && age < config.graceSeconds) plan.nodes.push({ ...base, decision: "skipped:grace" });
    else candidates.push({ node: n, age });
  }
  if (candidates.length === 0) return plan;

  if (cooldownRemainingSeconds > 0) {
    for (const c of candidates) plan.nodes.push(withAge({ nodeId: c.node.ComputeNodeId, decision: "skipped:cooldown", state: "ABNORMAL" }, c.age));
    return plan;
  }

  // Oldest first (unknown age counts as oldest), then by id: deterministic under the cap.
  candidates.sort((a, b) => (b.age ?? Number.POSITIVE_INFINITY) - (a.age ?? Number.POSITIVE_INFINITY) || a.node.ComputeNodeId.localeCompare(b.node.ComputeNodeId));
  const budget = Math.max(0, config.maxReplacementsPerHour - replacementsLastHour);
  const chosen = candidates.slice(0, budget);
  const capped = candidates.slice(budget);
  const isRetry = (age: number | undefined) => {
    if (age === undefined || age >= config.retryWindowSeconds) return false;
    const created = now - age * 1000;
    return terminations.some((t) => t <= created + 1000 && t >= created - config.retryWindowSeconds * 1000);
  };
  for (const c of chosen) {
    const d = withAge({ nodeId: c.node.ComputeNodeId, decision: config.dryRun ? "dry-run" : "replaced", state: "ABNORMAL" }, c.age);
    plan.nodes.push(isRetry(c.age) ? { ...d, retry: true } : d);
  }
  for (const c of capped) plan.nodes.push(withAge({ nodeId: c.node.ComputeNodeId, decision: "skipped:cap", state: "ABNORMAL" }, c.age));
  if (capped.length > 0) {
    plan.alerts.push({
      kind: "remediation.cap",
      severity: "warning",
      summary: `${env.EnvId} (${env.EnvName}): ${replacementsLastHour} node replacements in the last hour, cap ${config.maxReplacementsPerHour}; leaving ${capped.length} abnormal node(s) as they are`,
      details: { env: env.EnvId, envName: env.EnvName, replacementsLastHour, cap: config.maxReplacementsPerHour, nodes: capped.map((c) => c.node.ComputeNodeId) },
    });
  }
  if (chosen.length === 0) return plan;

  const ids = chosen.map((c) => c.node.ComputeNodeId);
  const n = ids.length;
  // TerminateComputeNodes takes at most 100 ids: one call per 100.
  const terminateCalls: RemediationAction[] = [];
  for (let i = 0; i < n; i += TERMINATE_MAX_IDS) terminateCalls.push({ kind: "terminate", nodeIds: ids.slice(i, i + TERMINATE_MAX_IDS) });
  // A surge still in effect (desired above the nodes Batch has, e.g. an earlier surge whose undo
  // failed) must not be raised again on a retry: the desired count would drift up each round.
  const live = env.ComputeNodeSet.filter((x) => x.ComputeNodeState !== "DELETING" && x.ComputeNodeState !== "CREATION_FAILED").length;
  const surgePending = desired > live;
  if (config.mode === "surge" && !surgePending && desired + n <= rule.maxNodes) {
    // Termination lowers the desired count by n again, back to `desired`.
    plan.actions.push({ kind: "set-desired", desired: desired + n, reason: "surge" });
    plan.actions.push(...terminateCalls);
  } else {
    if (config.mode === "surge") inputs.modeFallback = surgePending ? "surge-pending" : "maxNodes";
    plan.actions.push(...terminateCalls);
    // Batch lowers the desired count by the nodes terminated; hold it, never above maxNodes
    // and never below what termination leaves.
    const restoreTo = Math.min(desired, rule.maxNodes);
    if (restoreTo > Math.max(0, desired - n)) plan.actions.push({ kind: "set-desired", desired: restoreTo, reason: "restore" });
  }
  return plan;
}

const SETTLED = new Set(["RUNNING", "CREATED", "ABNORMAL"]);

/**
 * Whether the env's activities could change what `decide` does with this snapshot. They hold
 * a replacement back only through a recent termination (cooldown, cap, retry) or a node Batch
 * is destroying or recreating. Every replacement (ours, restored to desired) and every Batch
 * RECREATE leaves a node behind that is younger than the lookback or still in transition;
 * so an env whose nodes are all settled, older than the lookback and as many as desired has
 * nothing in its activities that matters, and the read is skipped. (A scale-down leaves no
 * node behind: it is only counted when the activities are read anyway.)
 */
export function needsActivities(env: EnvSnapshot, config: RemediationConfig, now: number): boolean {
  const lookbackMs = Math.max(HOUR_MS, config.cooldownSeconds * 1000, config.retryWindowSeconds * 1000);
  if (env.ComputeNodeSet.length !== env.DesiredComputeNodeCount) return true;
  return env.ComputeNodeSet.some((n) => {
    if (!SETTLED.has(n.ComputeNodeState)) return true;
    const created = parseBatchTime(n.ResourceCreatedTime);
    return created === undefined || now - created < lookbackMs;
  });
}

function withAge(d: NodeDecision, age: number | undefined): NodeDecision {
  return age === undefined ? d : { ...d, ageSeconds: age };
}

function formatLimit(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(2);
}
