// One remediation pass over one env: read it, decide (pure), act, audit. Costs at most
// DescribeComputeEnv + DescribeComputeEnvActivities (only when something would be done and
// the env changed within the lookback; a second page only past 100 activities) +
// TerminateComputeNodes + ModifyComputeEnv, however many events named the env.
import type { Alerter } from "../../shared/alerts";
import type { Activity } from "../../shared/batch/models";
import { recentActivities } from "../../shared/batch/activities";
import type { BatchPort } from "../../shared/batch/port";
import { type EnvPolicy, isAutoscaled, ruleFor, stampDescription } from "../../shared/env-policy";
import { AppError, isAppError } from "../../shared/errors";
import type { Logger } from "../../shared/log";
import type { RemediationConfig } from "./config";
import { decide, type NodeDecision, needsActivities, type RemediationAction, type RemediationPlan } from "./policy";

export type RemediationBatch = Pick<BatchPort, "getEnv" | "listEnvActivities" | "terminateNodes" | "setDesiredNodes"> &
  Partial<Pick<BatchPort, "getEnvCreateInfo">>;

export interface RemediatorDeps {
  batch: RemediationBatch;
  policy: EnvPolicy;
  config: RemediationConfig;
  logger: Logger;
  alerter: Alerter;
  now: () => number;
}

export type EnvPassResult =
  | { envId: string; outcome: "done"; plan: RemediationPlan; readAt: number }
  | { envId: string; outcome: "env-gone"; readAt: number }
  | { envId: string; outcome: "failed"; error: AppError; plan?: RemediationPlan; completed?: RemediationAction[] };


export async function remediateEnv(deps: RemediatorDeps, envId: string, hintedNodeIds: readonly string[]): Promise<EnvPassResult> {
  const { batch, logger } = deps;
  const readAt = deps.now();
  let env: Awaited<ReturnType<RemediationBatch["getEnv"]>>;
  try {
    env = await batch.getEnv(envId);
  } catch (e) {
    const err = asAppError(e);
    if (err.status === 404) {
      logger.info("remediation", { env: envId, nodes: [...hintedNodeIds], decision: "skipped:env-gone", inputs: { tencent_code: err.tencentCode } });
      return { envId, outcome: "env-gone", readAt };
    }
    logger.error("remediation read failed", { env: envId, code: err.code, error: err.message, batch_request_id: err.requestId });
    return { envId, outcome: "failed", error: err };
  }

  const rule = ruleFor(deps.policy, env);
  const base = { env, activities: [] as Activity[], rule, config: deps.config, now: readAt, hintedNodeIds };
  let plan = decide(base);
  try {
    // Activities can only hold a replacement back (in progress, cooldown, cap): read them
    // only when the snapshot alone would act and does not prove them irrelevant.
    if (plan.actions.length > 0 && needsActivities(env, deps.config, readAt)) {
      plan = decide({ ...base, activities: (await recentActivities(batch, envId)).items, now: deps.now() });
    }
  } catch (e) {
    const err = asAppError(e);
    logger.error("remediation read failed", { env: envId, code: err.code, error: err.message, batch_request_id: err.requestId });
    return { envId, outcome: "failed", error: err };
  }

  for (const alert of plan.alerts) await deps.alerter.send(alert);

  if (plan.dryRun || plan.actions.length === 0) {
    audit(logger, plan);
    return { envId, outcome: "done", plan, readAt };
  }
  const completed: RemediationAction[] = [];
  try {
    await execute(deps, plan, completed, isAutoscaled(rule, env.Tags));
  } catch (e) {
    const err = asAppError(e);
    audit(logger, plan, err);
    return { envId, outcome: "failed", error: err, plan, completed };
  }
  audit(logger, plan);
  return { envId, outcome: "done", plan, readAt };
}

/** Runs the plan's actions in order; `done` collects what Batch accepted (also on failure). */
async function execute(deps: RemediatorDeps, plan: RemediationPlan, done: RemediationAction[], autoscaled: boolean): Promise<void> {
  const { batch, logger } = deps;
  // Only an env autoscale manages is stamped (its description is never touched otherwise).
  const stamp = autoscaled ? await remediationStamp(deps, plan.envId) : undefined;
  for (const action of plan.actions) {
    try {
      if (action.kind === "terminate") await batch.terminateNodes(plan.envId, action.nodeIds);
      else await batch.setDesiredNodes(plan.envId, action.desired, stamp);
      done.push(action);
    } catch (e) {
      const err = asAppError(e);
      const terminated = done.some((a) => a.kind === "terminate");
      const surged = done.some((a) => a.kind === "set-desired" && a.reason === "surge");
      const restore = plan.actions.find((a) => a.kind === "set-desired" && a.reason === "restore");
      if (surged && !terminated) {
        // Surge raised the desired count but nothing was terminated: take the surge back.
        await setDesiredOrAlert(deps, plan, plan.inputs.desired, "surge not undone");
      } else if (terminated && restore?.kind === "set-desired" && action.kind === "terminate") {
        // Some nodes were terminated (desired lowered with them): hold the count anyway.
        if (await setDesiredOrAlert(deps, plan, restore.desired, "desired count not restored")) done.push(restore);
      } else if (terminated && action.kind === "set-desired" && action.reason === "restore") {
        await capacityAlert(deps, plan, action.desired, err);
      }
      logger.warn("remediation action failed", { env: plan.envId, action: action.kind, code: err.tencentCode ?? err.code });
      throw err;
    }
  }
}

/**
 * The env's description stamped as remediated now (shared/env-policy.ts), written with the plan's
 * ModifyComputeEnv so autoscale holds scale-down for remediationHoldSeconds. Best effort: without
 * it the change is unattributed, which autoscale treats as manual (a longer hold, never a fight).
 */
async function remediationStamp(deps: RemediatorDeps, envId: string): Promise<{ description: string } | undefined> {
  if (!deps.batch.getEnvCreateInfo) return undefined;
  try {
    const info = await deps.batch.getEnvCreateInfo(envId);
    return { description: stampDescription(info.EnvDescription, { by: "remediation", at: deps.now() }) };
  } catch (e) {
    deps.logger.warn("change stamp not read", { env: envId, code: asAppError(e).tencentCode ?? asAppError(e).code });
    return undefined;
  }
}

/** Sets the desired count, or alerts (critical) when Batch refuses; true when it was set. */
async function setDesiredOrAlert(deps: RemediatorDeps, plan: RemediationPlan, desired: number, what: string): Promise<boolean> {
  try {
    await deps.batch.setDesiredNodes(plan.envId, desired);
    return true;
  } catch (e) {
    deps.logger.error(what, { env: plan.envId, desired, error: asAppError(e).message });
    await capacityAlert(deps, plan, desired, asAppError(e));
    return false;
  }
}

async function capacityAlert(deps: RemediatorDeps, plan: RemediationPlan, desired: number, err: AppError): Promise<void> {
  await deps.alerter.send({
    kind: "remediation.capacity",
    severity: "critical",
    summary: `${plan.envId} (${plan.envName}): the desired count could not be set to ${desired} after a remediation step failed: ${err.message}`,
    details: { env: plan.envId, desired, code: err.tencentCode ?? err.code },
  });
}

/** One structured line per decision on the env: which nodes, what, and the inputs behind it. */
function audit(logger: Logger, plan: RemediationPlan, error?: AppError): void {
  const groups = new Map<string, NodeDecision[]>();
  for (const n of plan.nodes) {
    const key = error && (n.decision === "replaced" || n.decision === "dry-run") ? "failed" : n.decision;
    groups.set(key, [...(groups.get(key) ?? []), n]);
  }
  for (const [decision, nodes] of groups) {
    const acting = decision === "replaced" || decision === "dry-run" || decision === "failed";
    const fields: Record<string, unknown> = {
      env: plan.envId,
      env_name: plan.envName,
      nodes: nodes.map((n) => n.nodeId),
      decision,
      inputs: {
        ...plan.inputs,
        node_states: Object.fromEntries(nodes.map((n) => [n.nodeId, n.state])),
        node_ages_s: Object.fromEntries(nodes.filter((n) => n.ageSeconds !== undefined).map((n) => [n.nodeId, n.ageSeconds])),
      },
    };
    if (acting) fields.actions = plan.actions;
    const retries = nodes.filter((n) => n.retry).map((n) => n.nodeId);
    if (retries.length) fields.retry_nodes = retries;
    if (decision === "failed" && error) {
      fields.error = error.message;
      fields.code = error.tencentCode ?? error.code;
      fields.batch_request_id = error.requestId;
      logger.error("remediation", fields);
    } else logger.info("remediation", fields);
  }
}

export function asAppError(e: unknown): AppError {
  if (isAppError(e)) return e;
  return new AppError("remediation.unexpected", (e as Error)?.message ?? String(e), { status: 500, expose: false, cause: e });
}
