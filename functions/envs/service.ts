// The envs function's operations over the Batch port: read Batch, ask the pure cores
// (view, planner, create) what to do, do it, and write one audit line per change.
//
// Batch has no compare-and-set: two requests may both read an env and both write it. So every
// write that sets the desired count (scale, node terminate) is followed by a re-read, and the
// answer is `Applied` only if the env shows what this request set; otherwise 409 `conflict`
// names the state found (and the audit line records it), since another change overwrote it.
import type { Filter } from "../../shared/batch/port";
import type { EnvsBatch } from "./batch";
import { idRegions, listAcross, listedRegions } from "../../shared/batch/across-regions";
import type { BatchRegions } from "../../shared/batch/regions";
import { parseBatchTime } from "../../shared/schemas/batch-time";
import { regionOfZone } from "../../shared/schemas/zone";
import { withHint } from "../../shared/batch/errors";
import type { Activity, ComputeEnv } from "../../shared/batch/models";
import { type EnvPolicy, type EnvRule, isAutoscaled, ruleFor, stampDescription } from "../../shared/env-policy";
import { AppError, type FieldIssue, isAppError } from "../../shared/errors";
import type { Principal } from "../../shared/http";
import { isTokenConflict, keyReused, replayOf, tokenFilter } from "../../shared/idempotency";
import { tagFiltersOf } from "../../shared/schemas/tags";
import type { Logger } from "../../shared/log";
import { buildCreateEnv, type CreateEnvBody } from "./create";
import { requireEnvOwner } from "./owner";
import {
  cooldownRefusal,
  latestChangeOf,
  type PlanResult,
  planScale,
  policyRefusal,
  type Refusal,
  type ScalePlan,
  type ScaleTarget,
  scaleScopesRefusal,
} from "./planner";
import type { PriceTable } from "./pricing";
import { envInstanceTypes } from "../../shared/schemas/instance-types";
import { recentActivities as readRecentActivities } from "../../shared/batch/activities";
import { type EnvDetail, envDetail, envSummary, isBusy, isLive, type PricingContext, unknownCoresReason } from "./view";
import { coresOfNewNodes } from "../../shared/schemas/instance-types";

export interface EnvsDeps {
  /** The served regions (BATCH_REGIONS) and their Batch ports. */
  regions: BatchRegions<EnvsBatch>;
  policy: EnvPolicy;
  prices: PriceTable;
  logger: Logger;
  now: () => number;
}

/** Who is asking: the API key (name and scopes), and whether it may scale a given rule. */
export interface Caller extends Principal {
  mayScale(rule: EnvRule): boolean;
}

export interface ListQuery {
  zone?: string[];
  envName?: string[];
  envId?: string[];
  /** `key=value` → filter tag:<key>; a bare `key` → filter tag-key (shared/schemas/tags.ts). */
  tags?: string[] | undefined;
  /** `?region=`: one served region. */
  region?: string | undefined;
  cursor?: string | undefined;
  offset?: number | undefined;
  limit: number;
}

const TERMINABLE = new Set(["CREATED", "CREATION_FAILED", "RUNNING", "ABNORMAL"]);
/**
 * Batch's refusals of a scale's own writes that mean the env is no longer what the plan was made
 * from: a node it chose is gone, going or changed state, or a lowered count finds too few nodes to
 * destroy (another change added or took nodes). A conflict, not the caller's mistake. Matches
 * ResourceNotFound.ComputeNode and UnsupportedOperation.ComputeNodeIsTerminating,
 * .ComputeNodeForbidTerminate, .NotEnoughComputeNodesToTerminate.
 */
const PLAN_STALE = /ComputeNode(IsTerminating|ForbidTerminate|sToTerminate)?$/;
const BATCH_PAGE = 100;

async function batch<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    throw withHint(e);
  }
}

/**
 * Whether a re-read env shows the desired count `next` a write of this request set. `previous`:
 * the write was TerminateComputeNodes alone (Batch accepted it, so those nodes are going), which
 * Batch may turn into a lower desired count asynchronously (see scale): the env still showing
 * the count before is that lag, not another change.
 */
const shows = (found: ComputeEnv, next: number, previous?: number): boolean =>
  found.NextAction !== "DELETING" && (found.DesiredComputeNodeCount === next || found.DesiredComputeNodeCount === previous);

function refusalError(r: Refusal): AppError {
  const retry = r.retryAfterSeconds !== undefined ? { retryAfterSeconds: r.retryAfterSeconds } : {};
  return new AppError(r.code, r.message, { status: r.status, details: { rule: r.rule, ...retry }, ...retry });
}

/** An error's stable code for a log line (never its message). */
const errorCode = (e: unknown): string => (isAppError(e) ? e.code : "internal_error");

/** What counts towards the env's size now: its desired count and its live nodes (the audit's `before`). */
const sizeOf = (env: ComputeEnv) => ({ DesiredComputeNodeCount: env.DesiredComputeNodeCount, Nodes: env.ComputeNodeSet.filter(isLive).length });

/** Terminates `nodeIds` in pages of BATCH_PAGE, pushing each call's RequestId. */
async function terminateInPages(port: EnvsBatch, envId: string, nodeIds: readonly string[], requestIds: string[]): Promise<void> {
  for (let i = 0; i < nodeIds.length; i += BATCH_PAGE) requestIds.push((await batch(port.terminateNodes(envId, nodeIds.slice(i, i + BATCH_PAGE)))).requestId);
}

export function createEnvsService(deps: EnvsDeps) {
  const { regions, policy, prices, logger } = deps;
  /** Instance types per env (region/EnvId): set at creation and never changed by this function. */
  const typeCache = new Map<string, string[]>();
  /** Env id → region (shared/batch/across-regions.ts): ?region=, remembered, else DescribeComputeEnv in every served region. */
  const ids = idRegions(regions, "env", (port, envId) => batch(port.getEnv(envId)), "ResourceNotFound.ComputeEnv");
  /** Runs `fn` in the env's region with the env read (by the lookup, or now). */
  const onEnv = <T>(envId: string, region: string | undefined, fn: (port: EnvsBatch, env: ComputeEnv, region: string) => Promise<T>) =>
    ids.on(envId, region, async (at) => fn(at.batch, at.read ?? (await batch(at.batch.getEnv(envId))), at.region));

  const audit = (fields: { who: string; what: string; envId: string; before: unknown; after: unknown; why: string; requestId: string; extra?: Record<string, unknown> }) =>
    logger.info("audit", {
      audit: true,
      who: fields.who,
      what: fields.what,
      env_id: fields.envId,
      before: fields.before,
      after: fields.after,
      why: fields.why,
      request_id: fields.requestId,
      ...fields.extra,
    });

  interface Change {
    port: EnvsBatch;
    what: string;
    envId: string;
    caller: Caller;
    requestId: string;
    why: string;
    before: unknown;
    after: { DesiredComputeNodeCount: number; Nodes: number };
    extra: Record<string, unknown>;
    /** The Batch writes; each pushes its RequestId. */
    writes(requestIds: string[]): Promise<void>;
    /** See `shows`. */
    lagging?: number | undefined;
    /** A scale: Batch refusing a write with a PLAN_STALE code is a conflict. */
    planned?: boolean;
    /** The env is autoscaled: stamp the change as manual (stampManual). */
    autoscaled: boolean;
  }

  /**
   * Stamps an autoscaled env's description as changed by hand now (shared/env-policy.ts), so
   * autoscale holds it for manualHoldSeconds (other envs' descriptions are never touched). A change
   * of the count carries the stamp in its own ModifyComputeEnv; terminations are stamped after, best
   * effort: a DESTROY later than the last stamp counts as someone else's change (manual) anyway.
   */
  async function stampManual(port: EnvsBatch, envId: string): Promise<void> {
    const stamp = await manualStamp(port, envId);
    if (!stamp) return;
    await port.renameEnv(envId, stamp).catch((e: unknown) => {
      logger.warn("change stamp not written", { env_id: envId, error: errorCode(e) });
    });
  }

  /** The env's description stamped manual now, to send with a ModifyComputeEnv of the count; undefined if unreadable. */
  async function manualStamp(port: EnvsBatch, envId: string): Promise<{ description: string } | undefined> {
    try {
      const info = await port.getEnvCreateInfo(envId);
      return { description: stampDescription(info.EnvDescription, { by: "manual", at: deps.now() }) };
    } catch (e) {
      logger.warn("change stamp not read", { env_id: envId, error: errorCode(e) });
      return undefined;
    }
  }

  /**
   * Makes the writes, re-reads the env and answers their RequestIds if it shows the count set,
   * else throws 409 conflict naming the state found. One audit line for anything that reached
   * Batch: `outcome` applied, conflict (with the state `found`) or failed (with the `error` of a
   * later write, or of the re-read).
   */
  async function applyChange(c: Change): Promise<string[]> {
    const ids: string[] = [];
    const next = c.after.DesiredComputeNodeCount;
    const line = (outcome: string, more: Record<string, unknown>) =>
      ids.length > 0 && audit({ ...c, who: c.caller.name, extra: { outcome, ...more, ...c.extra, batch_request_ids: ids } });
    const failed = (e: unknown) => {
      line("failed", { error: errorCode(e) });
      return e;
    };
    let refused: AppError | undefined;
    let partial = false;
    try {
      await c.writes(ids);
      if (c.autoscaled) await stampManual(c.port, c.envId);
    } catch (e) {
      // A later write refused after an earlier one reached Batch (a scale's termination made the
      // env busy for its own ModifyComputeEnv): part of the change happened, so the answer comes
      // from a re-read, never as if nothing had (a caller retrying a delta would apply it twice).
      partial = ids.length > 0 && isAppError(e);
      if (!(partial || (c.planned && isAppError(e) && PLAN_STALE.test(e.tencentCode ?? "")))) throw failed(e);
      refused = e as AppError;
    }
    const env = await batch(c.port.getEnv(c.envId)).catch((e: unknown) => {
      throw failed(refused ?? e);
    });
    const found = { DesiredComputeNodeCount: env.DesiredComputeNodeCount, NextAction: env.NextAction || null };
    const ok = !refused && shows(env, next, c.lagging);
    line(ok ? "applied" : partial ? "partial" : "conflict", { found, error: refused?.code });
    if (ok) return ids;
    const shown = `${c.envId} now shows DesiredComputeNodeCount ${found.DesiredComputeNodeCount}${found.NextAction ? ` (${found.NextAction})` : ""}`;
    const notApplied = (code: string, rule: string, message: string) =>
      new AppError(code, message, {
        status: 409,
        tencentCode: refused?.tencentCode,
        cause: refused,
        details: { rule, found, requested: { DesiredComputeNodeCount: next }, requestIds: ids },
      });
    if (partial)
      throw notApplied(
        "partially_applied",
        "partialChange",
        `${ids.length} of this ${c.what}'s writes reached Batch (RequestIds ${ids.join(", ")}) before it refused the next (${refused?.message}); ${shown}, not the ${next} asked for: read the env and decide again (do not repeat a delta)`,
      );
    throw notApplied(
      "conflict",
      "concurrentChange",
      `${shown}, not the ${next} this ${c.what} asked for${refused ? ` (${refused.message})` : ""}: another change landed; read the env and decide again`,
    );
  }

  /** What prices the env's nodes: its instance types and its region's prices. */
  async function pricingFor(port: EnvsBatch, env: ComputeEnv, region: string): Promise<PricingContext> {
    const key = `${region}/${env.EnvId}`;
    let types = typeCache.get(key);
    if (!types) {
      types = envInstanceTypes(await batch(port.getEnvCreateInfo(env.EnvId)), env.Placement.Zone);
      if (types.length > 0) typeCache.set(key, types);
    }
    return { prices, region, instanceTypes: types, now: deps.now() };
  }

  /** The env's most recent activities: Batch lists them oldest first, so read the last page too. */
  async function recentActivities(port: EnvsBatch, envId: string): Promise<Activity[]> {
    return (await batch(readRecentActivities(port, envId))).items;
  }

  /** Logs a scale or terminate refusal (with its rule) and answers its error. */
  const refused = (what: string, envId: string, opts: { caller: Caller; dryRun: boolean }, r: Refusal): AppError => {
    logger.info(`${what} refused`, { env_id: envId, who: opts.caller.name, rule: r.rule, code: r.code, dry_run: opts.dryRun });
    return refusalError(r);
  };

  const ruleOf = (env: { EnvId: string; EnvName?: string | null; Placement?: { Zone: string } }) => ruleFor(policy, env);

  /** Why terminating `live` live nodes of env may not happen now (allowScaling, scaleScopes, minNodes, cooldown), if so. */
  async function terminateRefusal(port: EnvsBatch, env: ComputeEnv, rule: EnvRule, caller: Caller, live: number, next: number): Promise<Refusal | undefined> {
    const id = env.EnvId;
    if (!rule.allowScaling) return policyRefusal(422, "allowScaling", `the policy for ${id} does not allow changing its nodes (allowScaling: false)`);
    if (!caller.mayScale(rule)) return scaleScopesRefusal(rule, `terminating nodes of ${id}`);
    if (next < rule.minNodes)
      return policyRefusal(422, "minNodes", `terminating ${live} live node(s) lowers ${id}'s desired count to ${next}, below ${rule.minNodes} (policy minNodes)`);
    return cooldownRefusal(id, rule, latestChangeOf(env, await recentActivities(port, id)), deps.now());
  }

  return {
    ruleOf,

    /** One served region as before; several: merged newest first, paged by NextCursor (shared/batch/across-regions.ts). */
    async list(q: ListQuery) {
      const filters: Filter[] = [];
      if (q.zone?.length) filters.push({ Name: "zone", Values: q.zone });
      if (q.envName?.length) filters.push({ Name: "env-name", Values: q.envName });
      if (q.envId?.length) filters.push({ Name: "env-id", Values: q.envId });
      filters.push(...tagFiltersOf(q.tags, filters.length));
      const page = await listAcross(
        listedRegions(regions.names, q.region, q.zone),
        q,
        (r, offset, limit) => batch(regions.port(r).listEnvs({ ...(filters.length ? { filters } : {}), offset, limit })),
        (e) => parseBatchTime(e.CreateTime) ?? Number.NEGATIVE_INFINITY,
      );
      return {
        Envs: page.items.map(({ item, region }) => {
          ids.remember(item.EnvId, region);
          return envSummary(item, region);
        }),
        TotalCount: page.total,
        Offset: page.offset,
        Limit: q.limit,
        NextOffset: page.nextOffset,
        NextCursor: page.nextCursor,
      };
    },

    async get(envId: string, region?: string): Promise<EnvDetail & { Policy: EnvRule }> {
      return onEnv(envId, region, async (port, env, region) => ({ ...envDetail(env, await pricingFor(port, env, region)), Policy: ruleOf(env) }));
    },

    /** Plans (and unless dryRun applies) a change of the desired count. Refusals throw 403/409/422. */
    async scale(
      envId: string,
      target: ScaleTarget,
      opts: { dryRun: boolean; caller: Caller; reason?: string | undefined; requestId: string; region?: string | undefined },
    ): Promise<ScaleAnswer> {
      return onEnv(envId, opts.region, async (port, env, region) => {
        requireEnvOwner(opts.caller, env);
        const rule = ruleOf(env);
        const [pricing, activities] = await Promise.all([pricingFor(port, env, region), recentActivities(port, envId)]);
        const result: PlanResult = planScale({
          env,
          rule,
          activities,
          target,
          callerMayScale: opts.caller.mayScale(rule),
          pricing,
          now: deps.now(),
        });
        if (!result.ok) throw refused("scale", envId, opts, result.refusal);
        const plan = result.plan;
        if (opts.dryRun || plan.Direction === "none") return { ...plan, Region: region, DryRun: opts.dryRun, Applied: false, RequestIds: [] };

        const next = plan.DesiredComputeNodeCount;
        // Terminating live nodes lowers the desired count by as many (the planner picks only CREATED, RUNNING,
        // ABNORMAL nodes). Set it only if that does not land on the target, decided from the plan and never
        // from a re-read: Batch may lower desired asynchronously, and a ModifyComputeEnv sent on a stale read
        // would make Batch destroy more nodes of its own choosing once the termination lands.
        const expected = Math.max(0, plan.PreviousDesiredComputeNodeCount - plan.TerminateNodes.length);
        const modify = expected !== next;
        const autoscaled = isAutoscaled(rule, env.Tags);
        const requestIds = await applyChange({
          port,
          what: "scale",
          envId,
          caller: opts.caller,
          requestId: opts.requestId,
          why: opts.reason ?? `desired ${plan.PreviousDesiredComputeNodeCount} → ${next} requested`,
          before: plan.Before,
          after: plan.After,
          extra: { terminated: plan.TerminateNodes, terminated_busy: plan.BusyNodes },
          async writes(ids) {
            await terminateInPages(port, envId, plan.TerminateNodes, ids);
            // An autoscaled env's count and its manual stamp in one call (never a busy window between them).
            if (modify) ids.push((await batch(port.setDesiredNodes(envId, next, autoscaled ? await manualStamp(port, envId) : undefined))).requestId);
          },
          lagging: modify ? undefined : plan.PreviousDesiredComputeNodeCount,
          planned: true,
          // Terminations only: stamped after them (a DESTROY with no newer stamp counts as manual anyway).
          autoscaled: autoscaled && !modify,
        });
        return { ...plan, Region: region, DryRun: false, Applied: true, RequestIds: requestIds };
      });
    },

    /** `body` checked by the route (shape and createEnvRules), with what the rules warned about. */
    async create(
      body: CreateEnvBody,
      opts: { caller: Caller; idempotencyKey: string | undefined; warnings: FieldIssue[]; requestId: string; reason?: string | undefined },
    ) {
      const planned = buildCreateEnv(body, { caller: opts.caller.name, idempotencyKey: opts.idempotencyKey, warnings: opts.warnings });
      const ce = planned.request.ComputeEnv;
      // The route's rules refused a zone of a region not served (zoneNotServed).
      const region = regionOfZone(planned.request.Placement.Zone);
      const answer = (envId: string, requestId: string | undefined, replayed: boolean, at = region) => ({
        EnvId: envId,
        Region: at,
        EnvName: ce.EnvName,
        Zone: planned.request.Placement.Zone,
        DesiredComputeNodeCount: ce.DesiredComputeNodeCount,
        InstanceTypes: planned.instanceTypes,
        ClientToken: planned.request.ClientToken ?? null,
        Creator: opts.caller.name,
        Replayed: replayed,
        Warnings: planned.warnings,
        ...(requestId ? { RequestId: requestId } : {}),
      });
      const idem = planned.idempotency;
      if (idem) {
        // The key is one request wherever its zone: ask every served region (a retry with another zone is 409).
        const pages = await Promise.all(regions.names.map((r) => batch(regions.port(r).listEnvs({ filters: [tokenFilter(idem)], limit: 1 }))));
        const i = pages.findIndex((p) => p.items.length > 0);
        const prior = pages[i]?.items[0];
        const replayed = replayOf("env", idem, prior && { id: prior.EnvId, tags: prior.Tags ?? [] });
        if (replayed) {
          logger.info("idempotent replay", { env_id: replayed, region: regions.names[i], request_id: opts.requestId });
          return answer(replayed, undefined, true, regions.names[i]);
        }
      }
      const rule = ruleOf({ EnvId: "", EnvName: ce.EnvName, Placement: planned.request.Placement });
      const desired = ce.DesiredComputeNodeCount;
      const refuse = (ruleName: string, message: string) => refusalError(policyRefusal(422, ruleName, message));
      // Starting with nodes is a scaling action: the rule's allowScaling and scaleScopes apply as for scale.
      if (desired > 0 && !rule.allowScaling)
        throw refuse("allowScaling", `the policy for ${ce.EnvName} does not allow scaling (allowScaling: false): create it with DesiredComputeNodeCount 0`);
      if (desired > 0 && !opts.caller.mayScale(rule)) throw refusalError(scaleScopesRefusal(rule, `creating ${ce.EnvName} with ${desired} node(s)`));
      if (desired > rule.maxNodes) throw refuse("maxNodes", `${ce.EnvName} may not start with more than ${rule.maxNodes} nodes (policy maxNodes); asked for ${desired}`);
      if (desired < rule.minNodes) throw refuse("minNodes", `${ce.EnvName} must start with at least ${rule.minNodes} nodes (policy minNodes); asked for ${desired}`);
      if (rule.maxCores !== undefined && desired > 0) {
        // Batch may create any of the env's types: count each node at the largest one's cores.
        const guard = coresOfNewNodes(planned.instanceTypes);
        if (!guard.ok) throw refuse("maxCores", `${ce.EnvName} has a maxCores limit but ${unknownCoresReason(guard.unknown)}`);
        if (desired * guard.cores > rule.maxCores)
          throw refuse(
            "maxCores",
            `${desired} nodes × ${guard.cores} cores (the largest of ${planned.instanceTypes.join(", ")}) = ${desired * guard.cores} cores; the policy allows at most ${rule.maxCores} (maxCores)`,
          );
      }
      const created = await batch(regions.port(region).createEnv(planned.request)).catch((e: unknown) => {
        throw idem && isTokenConflict(e) ? keyReused("env", undefined, e) : e;
      });
      ids.remember(created.envId, region);
      audit({
        who: opts.caller.name,
        what: "create",
        envId: created.envId,
        before: null,
        after: {
          EnvName: ce.EnvName,
          Zone: planned.request.Placement.Zone,
          Region: region,
          DesiredComputeNodeCount: desired,
          InstanceTypes: planned.instanceTypes,
          ImageId: ce.EnvData?.ImageId ?? null,
        },
        why: opts.reason ?? "create requested",
        requestId: opts.requestId,
        extra: { client_token: planned.request.ClientToken ?? null, batch_request_ids: [created.requestId] },
      });
      return answer(created.envId, created.requestId, false);
    },

    async remove(envId: string, opts: { caller: Caller; force: boolean; requestId: string; reason?: string | undefined; region?: string | undefined }) {
      return onEnv(envId, opts.region, async (port, env, region) => {
        requireEnvOwner(opts.caller, env);
        const rule = ruleOf(env);
        if (!opts.caller.mayScale(rule)) throw refusalError(scaleScopesRefusal(rule, `deleting ${envId}`));
        if (env.NextAction === "DELETING") throw new AppError("env_deleting", `${envId} is already being deleted`, { status: 409, details: { rule: "state" } });
        if (rule.minNodes > 0 && !opts.force)
          throw refusalError(
            policyRefusal(422, "minNodes", `the policy keeps at least ${rule.minNodes} node(s) in ${envId} (policy minNodes); send ?force=true to delete it anyway`),
          );
        const busy = env.ComputeNodeSet.filter(isBusy).map((n) => n.ComputeNodeId);
        if (busy.length > 0 && !opts.force)
          throw new AppError("env_busy", `${envId} has ${busy.length} busy node(s) running task instances (${busy.join(", ")}); wait for them, or send ?force=true to interrupt them`, {
            status: 409,
            details: { rule: "busyNodes", busyNodes: busy },
          });
        const ack = await batch(port.deleteEnv(envId));
        audit({
          who: opts.caller.name,
          what: "delete",
          envId,
          before: sizeOf(env),
          after: { DesiredComputeNodeCount: 0, NextAction: "DELETING" },
          why: opts.reason ?? "delete requested",
          requestId: opts.requestId,
          extra: { force: opts.force, interrupted: opts.force ? busy : [], batch_request_ids: [ack.requestId] },
        });
        return {
          EnvId: envId,
          Region: region,
          Action: "delete" as const,
          NextAction: "DELETING" as const,
          PreviousDesiredComputeNodeCount: env.DesiredComputeNodeCount,
          InterruptedNodes: opts.force ? busy : [],
          RequestId: ack.requestId,
        };
      });
    },

    async terminate(envId: string, nodeIds: string[], opts: { caller: Caller; dryRun: boolean; requestId: string; reason?: string | undefined; region?: string | undefined }) {
      return onEnv(envId, opts.region, async (port, env, region) => {
        requireEnvOwner(opts.caller, env);
        const rule = ruleOf(env);
        if (env.NextAction === "DELETING") throw new AppError("env_deleting", `${envId} is being deleted; its nodes are already going`, { status: 409, details: { rule: "state" } });
        const byId = new Map(env.ComputeNodeSet.map((n) => [n.ComputeNodeId, n]));
        const missing = nodeIds.map((id, i) => ({ id, i })).filter(({ id }) => !byId.has(id));
        if (missing.length > 0)
          throw new AppError("node_not_found", `${missing.map((m) => m.id).join(", ")} ${missing.length === 1 ? "is" : "are"} not a node of ${envId}`, {
            status: 404,
            issues: missing.map((m) => ({ path: `ComputeNodeIds[${m.i}]`, message: `${m.id} is not a node of ${envId}` })),
          });
        const nodes = nodeIds.map((id) => byId.get(id)!);
        const blocked = nodes.map((n, i) => ({ n, i })).filter(({ n }) => !TERMINABLE.has(n.ComputeNodeState));
        if (blocked.length > 0)
          throw new AppError(
            "node_not_terminable",
            blocked
              .map(({ n }) =>
                n.ComputeNodeState === "DELETING"
                  ? `${n.ComputeNodeId} is already being terminated`
                  : `${n.ComputeNodeId} is ${n.ComputeNodeState}; only CREATED, CREATION_FAILED, RUNNING or ABNORMAL nodes can be terminated`,
              )
              .join("; "),
            {
              status: 409,
              issues: blocked.map(({ n, i }) => ({ path: `ComputeNodeIds[${i}]`, message: `${n.ComputeNodeId} is ${n.ComputeNodeState}` })),
              details: { rule: "nodeState" },
            },
          );
        const liveTerminated = nodes.filter(isLive).length;
        const next = Math.max(0, env.DesiredComputeNodeCount - liveTerminated);
        // Terminating live nodes changes capacity, so the scaling guardrails apply (as for scale);
        // removing only CREATION_FAILED nodes is cleanup: it never counted towards desired.
        if (liveTerminated > 0) {
          const refusal = await terminateRefusal(port, env, rule, opts.caller, liveTerminated, next);
          if (refusal) throw refused("terminate", envId, opts, refusal);
        }
        const busy = nodes.filter(isBusy).map((n) => n.ComputeNodeId);
        const answer = {
          EnvId: envId,
          Region: region,
          Action: "terminate-nodes" as const,
          PreviousDesiredComputeNodeCount: env.DesiredComputeNodeCount,
          DesiredComputeNodeCount: next,
          ComputeNodeIds: nodeIds,
          BusyNodes: busy,
          Warnings:
            busy.length > 0
              ? [{ path: "ComputeNodeIds", message: `${busy.length} chosen node(s) are busy; their task instances are interrupted (${busy.join(", ")})` }]
              : [],
          DryRun: opts.dryRun,
          Applied: false,
          RequestIds: [] as string[],
        };
        if (opts.dryRun) return answer;
        const requestIds = await applyChange({
          port,
          what: "terminate-nodes",
          envId,
          caller: opts.caller,
          requestId: opts.requestId,
          why: opts.reason ?? `terminate ${nodeIds.join(", ")} requested`,
          before: sizeOf(env),
          after: { DesiredComputeNodeCount: next, Nodes: sizeOf(env).Nodes - liveTerminated },
          extra: { terminated: nodeIds, terminated_busy: busy },
          async writes(ids) {
            await terminateInPages(port, envId, nodeIds, ids);
          },
          // Terminating live nodes is the same lowering as a scale-down's (none: desired unchanged).
          lagging: liveTerminated > 0 ? env.DesiredComputeNodeCount : undefined,
          // Removing only CREATION_FAILED nodes is cleanup, not a change of capacity: no stamp.
          autoscaled: isAutoscaled(rule, env.Tags) && liveTerminated > 0,
        });
        return { ...answer, Applied: true, RequestIds: requestIds };
      });
    },
  };
}

export type EnvsService = ReturnType<typeof createEnvsService>;

export type ScaleAnswer = ScalePlan & { Region: string; DryRun: boolean; Applied: boolean; RequestIds: string[] };
