// node-abnormal: CMQ topic events from Batch → one remediation pass per env named by a
// COMPUTE_NODE_ABNORMAL event. A timer event sweeps every env with abnormal nodes (it
// picks up nodes that were in grace or cooldown when their event came).
// Poison messages are logged with their msgId and dropped; a transient failure on any env
// throws after every env had its pass, so SCF retries (passes are state-based: a retry
// redoes nothing that already happened). With several regions served (BATCH_REGIONS) each
// event acts in its own `Region`'s Batch, an event of a region not served is ignored (and
// logged), and the sweep lists every served region.
import type { Alerter } from "../../shared/alerts";
import { collectAll } from "../../shared/batch/paging";
import type { BatchPort } from "../../shared/batch/port";
import { ENV_ID } from "../../shared/schemas/ids";
import type { EnvPolicy } from "../../shared/env-policy";
import { AppError } from "../../shared/errors";
import type { Logger } from "../../shared/log";
import { pool } from "../../shared/pool";
import { type ParsedCmq, parseCmqEvent } from "../../shared/triggers/cmq";
import { isTimerEvent } from "../../shared/triggers/timer";
import type { RemediationConfig } from "./config";
import { asAppError, type EnvPassResult, type RemediationBatch, remediateEnv } from "./remediate";

/** What a pass and the sweep call in one region. */
export type NodeBatch = RemediationBatch & Pick<BatchPort, "listEnvs">;

export interface HandlerDeps {
  /** The Batch port of `region`, the one region served. */
  batch: NodeBatch;
  policy: EnvPolicy;
  config: RemediationConfig;
  logger: Logger;
  alerter: Alerter;
  /** The function's own region: an event without a `Region` is about it; with `batch`, the only one served. */
  region: string;
  now?: () => number;
  /** Env passes run at once (the adapter's limiter still paces each API). */
  concurrency?: number;
}

/** Several regions: the served ones (BATCH_REGIONS) and their ports (shared/batch/regions.ts). */
export type RegionalDeps = Omit<HandlerDeps, "batch"> & { regions: { readonly names: readonly string[]; port(region: string): NodeBatch } };

export interface InvocationSummary {
  messages: number;
  poison: number;
  events: number;
  /** Events that are not COMPUTE_NODE_ABNORMAL (or not for a served region), by name. */
  ignored: Record<string, number>;
  /** Envs whose events were old news: older than this container's last read, or about nodes it terminated. */
  stale: string[];
  /** `region` only when several regions are served. */
  envs: Array<{ env: string; region?: string; outcome: EnvPassResult["outcome"]; decisions: Record<string, string[]> }>;
  /** Envs past MAX_ENVS_PER_INVOCATION: left to the sweep timer. */
  deferred: string[];
}

export type InvocationContext = { request_id?: string; requestId?: string };

export interface NodeAbnormalHandler {
  /** A CMQ trigger event (`Records[].CMQ`) or a Timer event. */
  (event: unknown, context?: InvocationContext): Promise<InvocationSummary>;
  /** Topic messages already parsed (the HTTP push path): the same remediation as the trigger's. */
  messages(parsed: ParsedCmq, context?: InvocationContext): Promise<InvocationSummary>;
}

interface Target {
  region: string;
  envId: string;
  nodeIds: Set<string>;
  /** Latest EventTime among the env's events; undefined when any event had none. */
  latest: number | undefined;
  msgIds: Set<string>;
}

const ABNORMAL = "COMPUTE_NODE_ABNORMAL";
/**
 * Envs one message-driven invocation reads at most. Events are only hints and every decision
 * re-reads Batch, so a forged or runaway message can cost reads but never a healthy node: this
 * bounds those reads (≤ 4 calls per env, see remediate.ts). A genuine burst wider than this
 * is left to the sweep timer (every 5 minutes), which reads every env with abnormal nodes.
 */
export const MAX_ENVS_PER_INVOCATION = 10;
const TERMINATED_MEMORY = 10_000;

/** One region: `batch` in `region`, events of any other region ignored. */
export function makeHandler(deps: HandlerDeps): NodeAbnormalHandler {
  const { batch, ...rest } = deps;
  return makeRegionalHandler({ ...rest, regions: { names: [deps.region], port: () => batch } });
}

export function makeRegionalHandler(deps: RegionalDeps): NodeAbnormalHandler {
  const now = deps.now ?? Date.now;
  const { regions } = deps;
  const served = new Set(regions.names);
  const several = regions.names.length > 1;
  /** The state below is per env of a region (`region/envId`): ids are not documented as unique across regions. */
  const keyOf = (region: string, envId: string) => `${region}/${envId}`;
  const target = (region: string, envId: string): Target => ({ region, envId, nodeIds: new Set(), latest: Number.NEGATIVE_INFINITY, msgIds: new Set() });
  // Per container: when each env was last read by a pass that completed. An event older
  // than that read brings nothing the read did not already show.
  const lastRead = new Map<string, number>();
  // Nodes this container terminated (node id → env key). Batch never reuses a node id and a
  // termination cannot be undone, so a later ABNORMAL event about one of them is old news.
  const terminated = new Map<string, string>();
  const remember = (key: string, nodeIds: readonly string[]) => {
    for (const id of nodeIds) {
      terminated.set(id, key);
      if (terminated.size > TERMINATED_MEMORY) terminated.delete(terminated.keys().next().value as string);
    }
  };
  // Per container: desired counts a failed pass could not restore after terminating nodes
  // (Batch lowers the desired count with each node it terminates). The env then looks healthy
  // at its lowered count, so no later pass would act: the next invocation restores it first.
  // `lowered` is how many nodes the failed pass terminated: the count is restored only while the
  // env's desired count is still within what those terminations explain (an operator's change wins).
  const pendingRestore = new Map<string, { region: string; envId: string; desired: number; lowered: number; at: number }>();
  const rdeps = { ...deps, now, alerter: withoutRepeats(deps.alerter, deps.config.alertRepeatSeconds * 1000, now, deps.logger) };

  const fromMessages = (parsed: ParsedCmq, summary: InvocationSummary, logger: Logger): Map<string, Target> => {
    const targets = new Map<string, Target>();
    const foreignRegions = new Set<string>();
    summary.messages = parsed.messages.length;
    summary.poison = parsed.poison.length;
    for (const p of parsed.poison) logger.error("poison message dropped", { msgId: p.msgId, reason: p.reason });
    for (const msg of parsed.messages) {
      if (msg.malformedEvents > 0) logger.warn("malformed events skipped", { msgId: msg.msgId, count: msg.malformedEvents });
      for (const e of msg.events) {
        summary.events++;
        const region = e.region ?? deps.region;
        const foreign = !served.has(region);
        if (foreign && e.name === ABNORMAL) foreignRegions.add(region);
        // A malformed EnvId can never be remediated: Batch refuses it on every retry.
        const malformed = e.envId !== undefined && !ENV_ID.test(e.envId);
        if (e.name !== ABNORMAL || !e.envId || foreign || malformed) {
          const key =
            e.name !== ABNORMAL ? e.name : foreign ? `${ABNORMAL}(region ${e.region})` : malformed ? `${ABNORMAL}(malformed EnvId)` : `${ABNORMAL}(no EnvId)`;
          summary.ignored[key] = (summary.ignored[key] ?? 0) + 1;
          continue;
        }
        const key = keyOf(region, e.envId);
        const t = targets.get(key) ?? target(region, e.envId);
        if (e.nodeId) t.nodeIds.add(e.nodeId);
        t.msgIds.add(msg.msgId);
        t.latest = e.time === undefined || t.latest === undefined ? undefined : Math.max(t.latest, e.time);
        targets.set(key, t);
      }
    }
    if (Object.keys(summary.ignored).length) logger.info("events ignored", { ignored: summary.ignored });
    // Not ours to act on: Batch of that region is not served here (BATCH_REGIONS).
    if (foreignRegions.size) logger.warn("events for a region not served ignored", { regions: [...foreignRegions], served: regions.names });
    return targets;
  };

  const newSummary = (): InvocationSummary => ({ messages: 0, poison: 0, events: 0, ignored: {}, stale: [], envs: [], deferred: [] });
  const loggerFor = (context?: InvocationContext) => deps.logger.child({ request_id: context?.request_id ?? context?.requestId });

  const handle = async (event: unknown, context?: InvocationContext): Promise<InvocationSummary> => {
    const logger = loggerFor(context);
    const summary = newSummary();
    if (isTimerEvent(event)) {
      const targets = new Map<string, Target>();
      // Every served region at once; one that cannot be listed does not hold the others back.
      const listed = await Promise.allSettled(regions.names.map((r) => envsWithAbnormalNodes(regions.port(r))));
      const unswept: Array<{ region: string; error: unknown }> = [];
      for (const [i, l] of listed.entries()) {
        const region = regions.names[i]!;
        if (l.status === "rejected") unswept.push({ region, error: l.reason });
        else for (const envId of l.value) targets.set(keyOf(region, envId), { ...target(region, envId), latest: undefined });
      }
      // Nothing could be listed: the listing's own error, as with one region.
      if (unswept.length === regions.names.length) throw unswept[0]!.error;
      for (const { region, error } of unswept) {
        const err = asAppError(error);
        logger.error("sweep listing failed", { region, code: err.tencentCode ?? err.code, error: err.message });
      }
      const envs = [...targets.values()].map((t) => t.envId);
      logger.info("sweep", several ? { envs, regions: regions.names } : { envs });
      return run(targets, summary, logger, Number.POSITIVE_INFINITY, unswept.map((u) => u.region));
    }
    return run(fromMessages(parseCmqEvent(event), summary, logger), summary, logger, MAX_ENVS_PER_INVOCATION);
  };
  const messages = async (parsed: ParsedCmq, context?: InvocationContext): Promise<InvocationSummary> => {
    const logger = loggerFor(context);
    const summary = newSummary();
    return run(fromMessages(parsed, summary, logger), summary, logger, MAX_ENVS_PER_INVOCATION);
  };
  return Object.assign(handle, { messages });

  async function run(targets: Map<string, Target>, summary: InvocationSummary, logger: Logger, maxEnvs: number, unswept: readonly string[] = []): Promise<InvocationSummary> {
    const failed: string[] = [];
    /** With several regions, every line about an env names its region. */
    const loggerIn = (region: string) => (several ? logger.child({ region }) : logger);
    // Restores are best effort and never fail the invocation: one env's refusal (quota, say) must
    // not make every later event of every env retry. A transient failure stays pending for the
    // next invocation (events or the sweep timer); a refusal is alerted once and dropped.
    for (const [key, p] of pendingRestore) {
      const { envId } = p;
      const logger = loggerIn(p.region);
      if (now() - p.at > Math.max(3600, deps.config.retryWindowSeconds) * 1000) {
        pendingRestore.delete(key);
        continue;
      }
      try {
        const port = regions.port(p.region);
        const env = await port.getEnv(envId);
        const current = env.DesiredComputeNodeCount;
        if (env.NextAction !== "DELETING" && current < p.desired && current >= p.desired - p.lowered) {
          await port.setDesiredNodes(envId, p.desired);
          logger.info("remediation", { env: envId, nodes: [], decision: "restored-desired", inputs: { desired: current, restored_to: p.desired } });
        } else if (current < p.desired - p.lowered) {
          logger.info("remediation", { env: envId, nodes: [], decision: "skipped:desired-changed", inputs: { desired: current, would_restore_to: p.desired } });
        }
        pendingRestore.delete(key);
      } catch (e) {
        const err = asAppError(e);
        const transient = err.status === 429 || err.status >= 500 || (err.tencentCode ?? "").endsWith("AcceptOtherRequest");
        logger.error("remediation restore failed", { env: envId, desired: p.desired, code: err.tencentCode ?? err.code, will_retry: transient });
        if (!transient) {
          pendingRestore.delete(key);
          if (err.status !== 404)
            await rdeps.alerter.send({
              kind: "remediation.capacity",
              severity: "critical",
              summary: `${envId}: the desired count could not be restored to ${p.desired} after replacing nodes: ${err.message}`,
              details: { env: envId, desired: p.desired, code: err.tencentCode ?? err.code },
            });
        }
      }
    }

    const work: Target[] = [];
    for (const [key, t] of targets) {
      const { envId } = t;
      const logger = loggerIn(t.region);
      const read = lastRead.get(key);
      const known = t.nodeIds.size > 0 && [...t.nodeIds].every((id) => terminated.get(id) === key);
      if (known) {
        summary.stale.push(envId);
        logger.info("remediation", { env: envId, nodes: [...t.nodeIds], decision: "skipped:already-replaced", inputs: { msg_ids: [...t.msgIds] } });
      } else if (read !== undefined && t.latest !== undefined && t.latest + deps.config.eventSkewSeconds * 1000 < read) {
        summary.stale.push(envId);
        logger.info("remediation", {
          env: envId,
          nodes: [...t.nodeIds],
          decision: "skipped:stale-event",
          inputs: { latest_event: new Date(t.latest).toISOString(), last_read: new Date(read).toISOString(), msg_ids: [...t.msgIds] },
        });
      } else if (work.length < maxEnvs) work.push(t);
      else summary.deferred.push(envId);
    }
    if (summary.deferred.length) {
      logger.warn("envs deferred to the sweep", { envs: summary.deferred, max_envs_per_invocation: maxEnvs });
    }

    const results = await pool(work, deps.concurrency ?? 4, async (t) => {
      try {
        return await remediateEnv({ ...rdeps, batch: regions.port(t.region), logger: loggerIn(t.region) }, t.envId, [...t.nodeIds]);
      } catch (e) {
        return { envId: t.envId, outcome: "failed", error: asAppError(e) } satisfies EnvPassResult;
      }
    });

    for (const [i, r] of results.entries()) {
      const { region } = work[i]!;
      const key = keyOf(region, r.envId);
      const decisions: Record<string, string[]> = {};
      if (r.outcome === "failed") failed.push(several ? key : r.envId);
      else lastRead.set(key, r.readAt);
      const plan = "plan" in r ? r.plan : undefined;
      const restore = plan?.actions.find((a) => a.kind === "set-desired" && a.reason === "restore");
      if (r.outcome === "failed" && plan && !plan.dryRun && restore?.kind === "set-desired") {
        const done = r.completed ?? [];
        const lowered = done.reduce((k, a) => k + (a.kind === "terminate" ? a.nodeIds.length : 0), 0);
        // Only when nodes really went and their lowered count was not put back already.
        if (lowered > 0 && !done.includes(restore)) pendingRestore.set(key, { region, envId: r.envId, desired: restore.desired, lowered, at: now() });
      }
      if (r.outcome === "done" && plan && !plan.dryRun) {
        remember(key, plan.actions.flatMap((a) => (a.kind === "terminate" ? a.nodeIds : [])));
      }
      for (const n of plan?.nodes ?? []) decisions[n.decision] = [...(decisions[n.decision] ?? []), n.nodeId];
      summary.envs.push(several ? { env: r.envId, region, outcome: r.outcome, decisions } : { env: r.envId, outcome: r.outcome, decisions });
    }
    if (failed.length || unswept.length) {
      const what = [
        ...(failed.length ? [`remediation failed for ${failed.join(", ")}`] : []),
        ...(unswept.length ? [`the sweep could not list the envs of ${unswept.join(", ")}`] : []),
      ];
      throw new AppError("remediation_incomplete", `${what.join("; ")}; the platform will retry`, {
        status: 503,
        expose: false,
        details: unswept.length ? { envs: failed, regions: unswept } : { envs: failed },
      });
    }
    return summary;
  }
}

/** A mass failure sends one ABNORMAL event per node: alert once per env and kind, log the repeats. */
function withoutRepeats(alerter: Alerter, windowMs: number, now: () => number, logger: Logger): Alerter {
  const sent = new Map<string, number>();
  return {
    async send(alert) {
      const env = typeof alert.details?.env === "string" ? alert.details.env : "";
      const key = `${alert.kind}:${env}`;
      const last = sent.get(key);
      if (last !== undefined && now() - last < windowMs) {
        logger.info("alert repeated, not sent again", { alert_kind: alert.kind, env, summary: alert.summary });
        return;
      }
      sent.set(key, now());
      await alerter.send(alert);
    },
  };
}

async function envsWithAbnormalNodes(batch: Pick<BatchPort, "listEnvs">): Promise<string[]> {
  const envs = await collectAll((offset, limit) => batch.listEnvs({ offset, limit }));
  return envs.filter((e) => e.ComputeNodeMetrics.AbnormalCount > 0 && e.NextAction !== "DELETING").map((e) => e.EnvId);
}

