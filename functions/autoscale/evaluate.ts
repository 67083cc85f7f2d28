// One autoscale evaluation: read Batch (read.ts), decide per env (snapshot.ts → policy.ts, pure),
// write one audit line per decision, and apply what was decided unless it is a dry run. The timer
// evaluates every opted-in env; the HTTP route evaluates one. An env that fails to read is
// skipped (logged, counted) and evaluated again at the next tick: never guessed.
import type { ComputeEnvView } from "../../shared/batch/models";
import type { AutoscaleBatch } from "./batch";
import { collectAll } from "../../shared/batch/paging";
import { type AutoscaleSettings, autoscaleFor, type EnvPolicy, ruleFor, stampDescription } from "../../shared/env-policy";
import type { Logger } from "../../shared/log";
import { type AutoscaleDecision, auditFields, decide } from "./policy";
import { type PlacementCache, readEnv, readWork, UNFINISHED_JOB_STATES } from "./read";
import { SLOTS_PER_NODE, snapshotOf } from "./snapshot";
import { isAppError } from "../../shared/errors";

/** Batch takes at most 100 node ids per TerminateComputeNodes. */
const TERMINATE_BATCH = 100;
/** The instance history reaches this far past the longest scale-down window (Batch times are to the second). */
const LOOK_BACK_MARGIN_MS = 60_000;

export interface EvaluateDeps {
  batch: AutoscaleBatch;
  policy: EnvPolicy;
  logger: Logger;
  placements: PlacementCache;
  /** DRY_RUN: decide and log, change nothing. */
  dryRun: boolean;
}

export type EnvOutcome =
  | { envId: string; status: "off"; why: string }
  | { envId: string; status: "skipped"; error: string }
  | { envId: string; status: "decided"; decision: AutoscaleDecision; applied: boolean; error?: string | undefined };

export interface EvaluationResult {
  evaluated: number;
  changed: number;
  skipped: number;
  dryRun: boolean;
  /** Batch calls made (reads and writes). */
  calls: number;
  envs: EnvOutcome[];
}

const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e));

/**
 * Evaluates the opted-in envs (`views` as listed, else those named in `envIds`, else all of the account's) at `now`.
 * `dryRun` (the route's ?dryRun=true) adds to the function's DRY_RUN, never removes it. No env is
 * started after `deadline` (a wall-clock epoch ms, under the function's timeout): the rest are
 * skipped, said so, and evaluated at a later tick.
 */
export async function evaluate(
  deps: EvaluateDeps,
  opts: { now: number; envIds?: string[]; views?: ComputeEnvView[]; dryRun?: boolean; deadline?: number },
): Promise<EvaluationResult> {
  const { batch, logger } = deps;
  const dryRun = deps.dryRun || opts.dryRun === true;
  let calls = 0;
  // The envs as listed: given (the route has read its one env already), or read here.
  const views: ComputeEnvView[] =
    opts.views ??
    (await collectAll((offset, limit) => {
      calls++;
      return batch.listEnvs({ offset, limit, ...(opts.envIds ? { envIds: opts.envIds } : {}) });
    }));
  const outcomes: EnvOutcome[] = [];
  const on: Array<{ view: ComputeEnvView; settings: AutoscaleSettings }> = [];
  for (const view of views) {
    const opt = autoscaleFor(ruleFor(deps.policy, view), view.Tags);
    if (opt.on) on.push({ view, settings: opt.settings });
    else outcomes.push({ envId: view.EnvId, status: "off", why: opt.why });
  }
  const result = (): EvaluationResult => ({
    evaluated: outcomes.filter((o) => o.status === "decided").length,
    changed: outcomes.filter((o) => o.status === "decided" && o.applied).length,
    skipped: outcomes.filter((o) => o.status === "skipped").length,
    dryRun,
    calls,
    envs: outcomes,
  });
  if (on.length === 0) return result();

  const lookBack = Math.max(...on.map((e) => e.settings.scaleDownAfterSeconds)) * 1000 + LOOK_BACK_MARGIN_MS;
  let work: Awaited<ReturnType<typeof readWork>>;
  try {
    work = await readWork(batch, new Set(on.map((e) => e.view.EnvId)), opts.now, lookBack, deps.placements, opts.deadline);
    calls += work.calls;
  } catch (e) {
    // Without the work no env can be judged: all are skipped, the next tick tries again.
    logger.warn("autoscale skipped: the jobs could not be read", { error: messageOf(e), envs: on.length });
    for (const { view } of on) outcomes.push({ envId: view.EnvId, status: "skipped", error: `the jobs could not be read: ${messageOf(e)}` });
    return result();
  }

  // Stateless fairness: each tick starts one env further along (by the minute), so when the time
  // budget runs out the same envs are not the ones left over every time.
  const start = on.length > 0 ? Math.floor(opts.now / 60_000) % on.length : 0;
  const ordered = [...on.slice(start), ...on.slice(0, start)];
  for (const { view, settings } of ordered) {
    if (opts.deadline !== undefined && Date.now() >= opts.deadline) {
      outcomes.push({ envId: view.EnvId, status: "skipped", error: "out of time this evaluation (Batch quotas); evaluated at a later one" });
      continue;
    }
    let read: Awaited<ReturnType<typeof readEnv>>;
    try {
      read = await readEnv(batch, view, work);
      calls += read.calls;
    } catch (e) {
      logger.warn("autoscale skipped: the env could not be read", { env: view.EnvId, error: messageOf(e) });
      outcomes.push({ envId: view.EnvId, status: "skipped", error: messageOf(e) });
      continue;
    }
    const decision = decide(snapshotOf(read.read, opts.now), settings, opts.now);
    const change = decision.action === "scale_up" || decision.action === "scale_down";
    logger.info("autoscale decision", auditFields(decision, dryRun));
    if (!change || dryRun) {
      outcomes.push({ envId: view.EnvId, status: "decided", decision, applied: false });
      continue;
    }
    try {
      const applied = await apply(batch, decision, read.read.description, work.unfinishedJobIds);
      calls += applied.calls;
      if (applied.skipped) {
        // The env changed since it was read (new work, a node taken): decided afresh next tick.
        logger.info("autoscale change not made", { env: decision.envId, action: decision.action, why: applied.skipped });
        outcomes.push({ envId: view.EnvId, status: "decided", decision, applied: false, error: applied.skipped });
        continue;
      }
      logger.info("autoscale applied", { env: decision.envId, action: decision.action, before: decision.before, after: decision.after, terminate: applied.terminated });
      outcomes.push({ envId: view.EnvId, status: "decided", decision, applied: true });
    } catch (e) {
      // Another change landed first (env_busy, a node already going): the next tick reads again.
      logger.warn("autoscale change failed", { env: decision.envId, action: decision.action, error: messageOf(e) });
      outcomes.push({ envId: view.EnvId, status: "decided", decision, applied: false, error: messageOf(e) });
    }
  }
  return result();
}

/** How long to wait before the one retry of a TerminateComputeNodes that Batch refused as busy. */
const BUSY_RETRY_MS = 2_000;

/**
 * Makes a scale decision, stamped as autoscale's (shared/env-policy.ts) at the time of the write.
 * A scale-up is one ModifyComputeEnv of the count and the description. A scale-down first checks
 * that nothing changed since the reads that decided it: no job has arrived (the unfinished jobs
 * read again, one page) and each chosen node is still RUNNING with every slot free (the env read
 * again); then stamps the description and terminates exactly the nodes still idle (one retry
 * after BUSY_RETRY_MS if Batch answers that the env is busy with the stamp). Returns the Batch
 * calls made, the nodes terminated, or why nothing was changed.
 */
export async function apply(
  batch: AutoscaleBatch,
  d: AutoscaleDecision,
  description: string | null | undefined,
  unfinishedJobIds: ReadonlySet<string>,
): Promise<{ calls: number; terminated: string[]; skipped?: string }> {
  if (d.action === "scale_up") {
    await batch.setDesiredNodes(d.envId, d.after, { description: stampDescription(description, { by: "autoscale", at: Date.now() }) });
    return { calls: 1, terminated: [] };
  }
  let calls = 0;
  const jobs = await batch.listJobs({ filters: [{ Name: "job-state", Values: UNFINISHED_JOB_STATES }], offset: 0, limit: 100 });
  calls++;
  const arrived = jobs.items.filter((j) => !unfinishedJobIds.has(j.JobId));
  if (arrived.length > 0 || jobs.total > unfinishedJobIds.size)
    return { calls, terminated: [], skipped: `work arrived since the read (${arrived.map((j) => j.JobId).slice(0, 3).join(", ") || `${jobs.total} unfinished jobs`}): no node is scaled down now` };
  const env = await batch.getEnv(d.envId);
  calls++;
  const idle = new Set(env.ComputeNodeSet.filter((n) => n.ComputeNodeState === "RUNNING" && n.TaskInstanceNumAvailable >= SLOTS_PER_NODE).map((n) => n.ComputeNodeId));
  const nodes = d.terminate.filter((id) => idle.has(id));
  if (nodes.length === 0) return { calls, terminated: [], skipped: "none of the chosen nodes is still idle" };
  await batch.renameEnv(d.envId, { description: stampDescription(description, { by: "autoscale", at: Date.now() }) });
  calls++;
  for (let i = 0; i < nodes.length; i += TERMINATE_BATCH) {
    const chunk = nodes.slice(i, i + TERMINATE_BATCH);
    try {
      await batch.terminateNodes(d.envId, chunk);
    } catch (e) {
      if (!(isAppError(e) && /AcceptOtherRequest$/.test(e.tencentCode ?? ""))) throw e;
      await new Promise((r) => setTimeout(r, BUSY_RETRY_MS));
      calls++;
      await batch.terminateNodes(d.envId, chunk);
    }
    calls++;
  }
  return { calls, terminated: nodes };
}
