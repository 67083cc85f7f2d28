// Compute environments: CreateComputeEnv … DescribeComputeEnvActivities, node lifecycle,
// Batch's own RECREATE of inactive nodes, and test routes to break nodes.
//
// Behaviour choices where the docs are silent (kept faithful to what they do say):
// - Terminating nodes lowers DesiredComputeNodeCount by the number of live nodes terminated
//   (CREATED/RUNNING/ABNORMAL), as real Batch does, so they are not replaced. Terminating a
//   CREATION_FAILED node only removes it: it never counted towards the desired count.
// - A failed creation is retried by creating another node; an env stops retrying once it lists
//   DesiredComputeNodeCount × (1 + ResourceMaxRetryCount) CREATION_FAILED nodes.
// - DeleteComputeEnv marks the env NextAction=DELETING, destroys every node and removes the env
//   (COMPUTE_ENV_DELETED) once the last node is gone.
// - Secrets in the request (Authentications[].SecretKey, LoginSettings.Password) are stored
//   and echoed back as "******".
// - UnsupportedOperation.ComputeEnvAcceptOtherRequest ("the env is busy with another request";
//   when exactly Batch answers it is undocumented): always for ModifyComputeEnv on an env being
//   deleted. With EMULATOR_ENV_BUSY_MS (timing envBusyMs) above 0, also while an env applies a
//   change: from an accepted ModifyComputeEnv or TerminateComputeNode(s) for at least that many
//   ms, and until none of its nodes is SUBMITTED, CREATING, CREATED or DELETING (the change's
//   nodes have come or gone); meanwhile ModifyComputeEnv, TerminateComputeNode(s) and
//   DeleteComputeEnv are refused with it. 0 (the default) keeps every change accepted at once,
//   last writer wins. CreateComputeEnv does not make an env busy.
import { randomBytes } from "node:crypto";
import { ENV_ID, NODE_ID } from "../../shared/schemas/ids";
import { INSTANCE_TYPES } from "../../shared/schemas/instance-types";
import { LIMITS } from "../../shared/schemas/limits";
import { maskSecrets } from "../../shared/schemas/masking";
import { CREATE_ENV_EVENTS } from "../../shared/schemas/notifications";
import { authentications, envData, inputMappings, instanceTypes, mountDataDisks, notifications, notificationTarget, placement, tags } from "./batch-fields";
import { ApiError, type EmuContext, type EmulatorModule, type TestRoute, uniqueId } from "./context";
import { clientToken, rememberToken, replayedResult } from "./idempotency";
import { freeSlots, isBusy } from "./occupancy";
import { exclusive, matchesFilters, optFilter, optFilters, page, paging, tagFilterValues } from "./paging";
import { type ActivityRecord, type EnvRecord, iso, type NodeRecord, type NodeStateName } from "./state";
import { checkKnownKeys, fail, type Obj, optArr, optIdList, optInt, optObj, optStr, reqInt, reqObj, reqStr } from "./validate";

declare module "./context" {
  interface EmulatorTimings {
    /** Minimum time an env stays busy applying an accepted change; 0 or absent: envs are never busy (see the header). */
    envBusyMs?: number;
  }
}

const DEFAULT_RESOURCE_MAX_RETRY = 7;
const DESTROYABLE: readonly NodeStateName[] = ["CREATED", "RUNNING", "ABNORMAL"];
const TERMINABLE: readonly NodeStateName[] = ["CREATED", "CREATION_FAILED", "RUNNING", "ABNORMAL"];
/** Nodes a change is still bringing up or taking down. */
const IN_TRANSIT: readonly NodeStateName[] = ["SUBMITTED", "CREATING", "CREATED", "DELETING"];

/** The env with this id in any region, or undefined (actions check the region themselves). */
export function findEnv(ctx: EmuContext, envId: string): EnvRecord | undefined {
  return ctx.store.envs.get(envId);
}

// ── wire shapes ───────────────────────────────────────────────────────────────────────

function nodeView(n: NodeRecord): Obj {
  return {
    ComputeNodeId: n.id,
    ComputeNodeInstanceId: n.instanceId,
    ComputeNodeState: n.state,
    Cpu: n.cpu,
    Mem: n.memGiB,
    ResourceCreatedTime: iso(n.createdAt),
    TaskInstanceNumAvailable: freeSlots(n),
    AgentVersion: n.state === "RUNNING" || n.state === "ABNORMAL" ? "1.0.0" : "",
    PrivateIpAddresses: [n.privateIp],
    PublicIpAddresses: [],
    ResourceType: "CVM",
    ResourceOrigin: "BATCH_CREATED",
  };
}

function metrics(env: EnvRecord): Obj {
  const count = (s: NodeStateName) => env.nodes.filter((n) => n.state === s).length;
  return {
    SubmittedCount: count("SUBMITTED"),
    CreatingCount: count("CREATING"),
    CreationFailedCount: count("CREATION_FAILED"),
    CreatedCount: count("CREATED"),
    RunningCount: count("RUNNING"),
    DeletingCount: count("DELETING"),
    AbnormalCount: count("ABNORMAL"),
  };
}

function envView(env: EnvRecord): Obj {
  return {
    EnvId: env.id,
    EnvName: env.name,
    Placement: { Zone: env.zone },
    CreateTime: iso(env.createdAt),
    ComputeNodeMetrics: metrics(env),
    EnvType: env.envType,
    DesiredComputeNodeCount: env.desired,
    ResourceType: "CVM",
    NextAction: env.deleting ? "DELETING" : null,
    AttachedComputeNodeCount: 0,
    Tags: env.tags,
  };
}

function createInfo(env: EnvRecord): Obj {
  const ce = (env.createRequest.ComputeEnv ?? {}) as Obj;
  return {
    EnvId: env.id,
    EnvName: env.name,
    EnvDescription: env.description,
    EnvType: env.envType,
    EnvData: ce.EnvData ?? null,
    MountDataDisks: ce.MountDataDisks ?? [],
    InputMappings: ce.InputMappings ?? [],
    Authentications: ce.Authentications ?? [],
    Notifications: env.notifications,
    DesiredComputeNodeCount: env.desired,
    Tags: env.tags,
  };
}

const activityView = (a: ActivityRecord): Obj => ({ ...a });

// ── lifecycle ─────────────────────────────────────────────────────────────────────────

function nodeEvent(ctx: EmuContext, env: EnvRecord, node: NodeRecord, eventName: string): void {
  ctx.notify(env.notifications, eventName, env.region, {
    ComputeNodeId: node.id,
    EnvId: env.id,
    ComputeNodeState: node.state,
    Mem: node.memGiB,
    Cpu: node.cpu,
    EnvName: env.name,
    ResourceCreatedTime: iso(node.createdAt),
    ComputeNodeInstanceId: node.instanceId,
  });
}

function setState(ctx: EmuContext, node: NodeRecord, state: NodeStateName): void {
  node.state = state;
  node.stateSince = ctx.now();
}

function openActivity(ctx: EmuContext, env: EnvRecord, node: NodeRecord, type: ActivityRecord["ComputeNodeActivityType"], cause: string): void {
  ctx.store.addActivity({
    ActivityId: ctx.ids.next("activity"),
    ComputeNodeId: node.id,
    ComputeNodeActivityType: type,
    EnvId: env.id,
    Cause: cause,
    ActivityState: "SUBMITTED",
    StateReason: "",
    StartTime: iso(ctx.now()),
    EndTime: null,
    InstanceId: node.instanceId,
  });
}

/** Moves the node's open activity of `type` on; `end` closes it with EndTime now. */
function advanceActivity(
  ctx: EmuContext,
  env: EnvRecord,
  node: NodeRecord,
  type: ActivityRecord["ComputeNodeActivityType"],
  state: ActivityRecord["ActivityState"],
  reason = "",
): void {
  const list = ctx.store.activities.get(env.id) ?? [];
  for (let i = list.length - 1; i >= 0; i--) {
    const a = list[i]!;
    if (a.ComputeNodeId !== node.id || a.ComputeNodeActivityType !== type || a.EndTime !== null) continue;
    a.ActivityState = state;
    if (reason) a.StateReason = reason;
    if (state === "SUCCEED" || state === "FAILED") a.EndTime = iso(ctx.now());
    ctx.store.saveActivity(a);
    return;
  }
}

function hex8(): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  let s = "";
  for (const b of randomBytes(8)) s += alphabet[b % alphabet.length];
  return s;
}

function createNode(ctx: EmuContext, env: EnvRecord, cause: string, from?: NodeRecord): NodeRecord {
  const spec = envSpec(env);
  const ip = randomBytes(3);
  const now = ctx.now();
  const node: NodeRecord = {
    id: `node-${hex8()}`,
    instanceId: `ins-${hex8()}`,
    state: "SUBMITTED",
    stateSince: now,
    createdAt: now,
    cpu: spec.cpu,
    memGiB: spec.memGiB,
    instanceType: env.instanceType,
    privateIp: `10.${ip[0]}.${ip[1]}.${(ip[2]! % 250) + 2}`,
    recreateCount: from ? from.recreateCount + 1 : 0,
    recreatedFrom: from?.id,
  };
  env.nodes.push(node);
  openActivity(ctx, env, node, "CREATE", cause);
  return node;
}

function envSpec(env: EnvRecord): { cpu: number; memGiB: number } {
  const spec = INSTANCE_TYPES[env.instanceType];
  return spec ? { cpu: spec.cpu, memGiB: spec.memGiB } : { cpu: 0, memGiB: 0 };
}

function destroyNode(ctx: EmuContext, env: EnvRecord, node: NodeRecord, cause: string): void {
  // A node still being created has an open CREATE activity: it ends here, unfinished. Any other
  // node's CREATE activity is closed already (no need to scan the whole history for it).
  if (node.state === "SUBMITTED" || node.state === "CREATING") advanceActivity(ctx, env, node, "CREATE", "FAILED", "destroyed before it was created");
  setState(ctx, node, "DELETING");
  openActivity(ctx, env, node, "DESTROY", cause);
  advanceActivity(ctx, env, node, "DESTROY", "PROCESSING");
  nodeEvent(ctx, env, node, "COMPUTE_NODE_DELETING");
}

const isLive = (n: NodeRecord) => n.state !== "DELETING" && n.state !== "CREATION_FAILED";

// ── busy while applying a change (envBusyMs > 0 only) ──────────────────────────────────

const busyMs = (ctx: EmuContext): number => ctx.timings.envBusyMs ?? 0;

function applying(ctx: EmuContext, env: EnvRecord): boolean {
  if (busyMs(ctx) <= 0 || env.applyingSince === undefined) return false;
  return ctx.now() - env.applyingSince < busyMs(ctx) || env.nodes.some((n) => IN_TRANSIT.includes(n.state));
}

function refuseWhileApplying(ctx: EmuContext, env: EnvRecord): void {
  if (applying(ctx, env))
    throw new ApiError(
      "UnsupportedOperation.ComputeEnvAcceptOtherRequest",
      `The compute environment ${env.id} is still applying the request it accepted at ${iso(env.applyingSince ?? 0)}.`,
    );
}

function accepted(ctx: EmuContext, env: EnvRecord): void {
  if (busyMs(ctx) > 0) env.applyingSince = ctx.now();
}

/** Creates nodes until the desired count of live nodes is met (within the retry budget). */
function reconcile(ctx: EmuContext, env: EnvRecord): boolean {
  if (env.deleting) return false;
  let live = env.nodes.filter(isLive).length;
  const failed = env.nodes.filter((n) => n.state === "CREATION_FAILED").length;
  let budget = env.desired * (1 + env.resourceMaxRetryCount) - failed;
  let changed = false;
  while (live < env.desired && budget > 0) {
    createNode(ctx, env, failed > 0 ? "Compute node creation failed; creating a replacement" : "Desired compute node count not met");
    live++;
    budget--;
    changed = true;
  }
  return changed;
}

function tickEnv(ctx: EmuContext, env: EnvRecord): void {
  const now = ctx.now();
  const t = ctx.timings;
  let changed = false;
  for (const node of [...env.nodes]) {
    const age = now - node.stateSince;
    if (node.state === "SUBMITTED" && age >= t.nodeSubmitMs) {
      setState(ctx, node, "CREATING");
      advanceActivity(ctx, env, node, "CREATE", "PROCESSING");
      changed = true;
    } else if (node.state === "CREATING" && age >= t.nodeCreateMs) {
      if (env.failCreations !== 0) {
        if (env.failCreations > 0) env.failCreations--;
        setState(ctx, node, "CREATION_FAILED");
        advanceActivity(ctx, env, node, "CREATE", "FAILED", "CVM creation failed (InternalError.CallCvm)");
        nodeEvent(ctx, env, node, "COMPUTE_NODE_CREATION_FAILED");
      } else {
        setState(ctx, node, "CREATED");
        advanceActivity(ctx, env, node, "CREATE", "SUCCEED");
        nodeEvent(ctx, env, node, "COMPUTE_NODE_CREATED");
      }
      changed = true;
    } else if (node.state === "CREATED" && age >= t.nodeStartMs) {
      setState(ctx, node, "RUNNING");
      nodeEvent(ctx, env, node, "COMPUTE_NODE_RUNNING");
      changed = true;
    } else if (
      node.state === "ABNORMAL" &&
      age >= t.abnormalRecreateMs &&
      env.actionIfInactive === "RECREATE" &&
      !env.deleting &&
      node.recreateCount < env.resourceMaxRetryCount
    ) {
      destroyNode(ctx, env, node, `ActionIfComputeNodeInactive=RECREATE: node inactive for ${Math.round(age / 1000)} s, recreating it`);
      createNode(ctx, env, `ActionIfComputeNodeInactive=RECREATE: replaces ${node.id}`, node);
      changed = true;
    } else if (node.state === "DELETING" && age >= t.nodeDeleteMs) {
      env.nodes.splice(env.nodes.indexOf(node), 1);
      advanceActivity(ctx, env, node, "DESTROY", "SUCCEED");
      changed = true;
    }
  }
  if (reconcile(ctx, env)) changed = true;
  if (env.applyingSince !== undefined && !applying(ctx, env)) {
    env.applyingSince = undefined;
    changed = true;
  }
  if (env.deleting && env.nodes.length === 0) {
    ctx.store.deleteEnv(env.id);
    ctx.notify(env.notifications, "COMPUTE_ENV_DELETED", env.region, { EnvId: env.id, EnvName: env.name });
    return;
  }
  if (changed) ctx.store.saveEnv(env);
}

// ── actions ───────────────────────────────────────────────────────────────────────────

function envId(v: unknown, path = "EnvId"): string {
  return reqStr(v, path, { pattern: ENV_ID, patternCode: "InvalidParameter.EnvIdMalformed", patternRule: "an env id looks like env-xxxxxxxx" });
}

/** The env, if it exists in the request's region. */
function envOf(ctx: EmuContext, id: string): EnvRecord {
  const env = ctx.store.envs.get(id);
  if (!env || env.region !== ctx.region) throw new ApiError("ResourceNotFound.ComputeEnv", `The compute environment ${id} does not exist in ${ctx.region}.`);
  return env;
}

const envName = (v: unknown, path: string, required: boolean) =>
  (required ? reqStr : optStr)(v, path, { max: LIMITS.envName, tooLongCode: "InvalidParameter.EnvNameTooLong", allowEmpty: false });
const envDescription = (v: unknown, path: string) => optStr(v, path, { max: LIMITS.envDescription, tooLongCode: "InvalidParameter.EnvDescriptionTooLong" });
const desiredCount = (v: unknown, path: string, required: boolean) =>
  (required ? reqInt : optInt)(v, path, { min: 0, max: LIMITS.desiredNodesMax });

function createComputeEnv(ctx: EmuContext, req: Obj): Obj {
  checkKnownKeys(req, ["ComputeEnv", "Placement", "ClientToken"]);
  const token = clientToken(req.ClientToken);
  const place = placement(req.Placement, "Placement", ctx.region);
  const ce = reqObj(req.ComputeEnv, "ComputeEnv");
  const name = envName(ce.EnvName, "ComputeEnv.EnvName", true) as string;
  const description = envDescription(ce.EnvDescription, "ComputeEnv.EnvDescription") ?? "";
  const desired = desiredCount(ce.DesiredComputeNodeCount, "ComputeEnv.DesiredComputeNodeCount", true) as number;
  const envType = optStr(ce.EnvType, "ComputeEnv.EnvType", { oneOf: ["MANAGED"] }) ?? "MANAGED";
  const spec = envData(ce.EnvData, "ComputeEnv.EnvData", place.Zone);
  mountDataDisks(ce.MountDataDisks, "ComputeEnv.MountDataDisks");
  authentications(ce.Authentications, "ComputeEnv.Authentications");
  inputMappings(ce.InputMappings, "ComputeEnv.InputMappings", ctx.region);
  optObj(ce.AgentRunningMode, "ComputeEnv.AgentRunningMode");
  const notes = notifications(ce.Notifications, "ComputeEnv.Notifications", CREATE_ENV_EVENTS);
  notificationTarget(ce.NotificationTarget, "ComputeEnv.NotificationTarget");
  const action = optStr(ce.ActionIfComputeNodeInactive, "ComputeEnv.ActionIfComputeNodeInactive", { oneOf: ["RECREATE"] }) ?? "RECREATE";
  const maxRetry = optInt(ce.ResourceMaxRetryCount, "ComputeEnv.ResourceMaxRetryCount", { min: 0, max: 100 }) ?? DEFAULT_RESOURCE_MAX_RETRY;
  const envTags = tags(ce.Tags, "ComputeEnv.Tags");

  const replayed = replayedResult(ctx, "CreateComputeEnv", token, req);
  if (replayed) return { EnvId: replayed };

  const stored = maskSecrets(req);
  const env: EnvRecord = {
    id: uniqueId(ctx, "env", ctx.store.envs),
    name,
    description,
    zone: place.Zone,
    region: ctx.region,
    envType,
    createdAt: ctx.now(),
    desired,
    instanceType: spec.instanceType,
    createRequest: stored,
    notifications: notes,
    tags: envTags,
    actionIfInactive: action,
    resourceMaxRetryCount: maxRetry,
    nodes: [],
    deleting: false,
    failCreations: 0,
  };
  reconcile(ctx, env);
  ctx.store.saveEnv(env);
  rememberToken(ctx, "CreateComputeEnv", token, req, env.id);
  ctx.notify(env.notifications, "COMPUTE_ENV_CREATED", env.region, { EnvId: env.id, EnvName: env.name });
  return { EnvId: env.id };
}

function describeComputeEnv(ctx: EmuContext, req: Obj): Obj {
  checkKnownKeys(req, ["EnvId"]);
  const env = envOf(ctx, envId(req.EnvId));
  const { Tags, ComputeNodeMetrics, ...view } = envView(env);
  return { ...view, ComputeNodeSet: env.nodes.map(nodeView), ComputeNodeMetrics, Tags };
}

/** Envs of the request's region, newest first (stable across restarts). */
function regionEnvs(ctx: EmuContext): EnvRecord[] {
  return [...ctx.store.envs.values()]
    .filter((e) => e.region === ctx.region)
    .sort((a, b) => b.createdAt - a.createdAt || a.id.localeCompare(b.id));
}

function envFilterValues(env: EnvRecord, name: string): string[] {
  switch (name) {
    case "zone":
      return [env.zone];
    case "env-id":
      return [env.id];
    case "env-name":
      return [env.name];
    case "resource-type":
      return ["CVM"];
    default:
      return tagFilterValues(env.tags, name);
  }
}

function selectEnvs(ctx: EmuContext, req: Obj, filterNames: readonly string[], tagFilters: boolean): { items: EnvRecord[]; total: number } {
  exclusive(req, "EnvIds", "Filters");
  const ids = optIdList(req.EnvIds, "EnvIds", ENV_ID, "InvalidParameter.EnvIdMalformed");
  const filters = optFilters(req.Filters, "Filters", filterNames, { tagFilters });
  const p = paging(req);
  const all = regionEnvs(ctx).filter((e) => (ids ? ids.includes(e.id) : matchesFilters(filters, (n) => envFilterValues(e, n))));
  return { items: page(all, p), total: all.length };
}

function describeComputeEnvs(ctx: EmuContext, req: Obj): Obj {
  checkKnownKeys(req, ["EnvIds", "Filters", "Offset", "Limit"]);
  const { items, total } = selectEnvs(ctx, req, ["zone", "env-id", "env-name", "resource-type", "tag-key", "tag-value"], true);
  return { ComputeEnvSet: items.map(envView), TotalCount: total };
}

function describeComputeEnvCreateInfo(ctx: EmuContext, req: Obj): Obj {
  checkKnownKeys(req, ["EnvId"]);
  return createInfo(envOf(ctx, envId(req.EnvId)));
}

function describeComputeEnvCreateInfos(ctx: EmuContext, req: Obj): Obj {
  checkKnownKeys(req, ["EnvIds", "Filters", "Offset", "Limit"]);
  const { items, total } = selectEnvs(ctx, req, ["zone", "env-id", "env-name"], false);
  return { TotalCount: total, ComputeEnvCreateInfoSet: items.map(createInfo) };
}

/** Destroyable nodes for a scale-down: idle before busy, not-yet-running before running. */
function scaleDownOrder(env: EnvRecord): NodeRecord[] {
  const rank = (n: NodeRecord) => (isBusy(n) ? 10 : 0) + (n.state === "ABNORMAL" ? 0 : n.state === "CREATED" ? 1 : 2);
  return env.nodes.filter((n) => DESTROYABLE.includes(n.state)).sort((a, b) => rank(a) - rank(b) || b.createdAt - a.createdAt);
}

function modifyComputeEnv(ctx: EmuContext, req: Obj): Obj {
  checkKnownKeys(req, ["EnvId", "DesiredComputeNodeCount", "EnvName", "EnvDescription", "EnvData"]);
  const id = envId(req.EnvId);
  const desired = desiredCount(req.DesiredComputeNodeCount, "DesiredComputeNodeCount", false);
  const name = envName(req.EnvName, "EnvName", false);
  const description = envDescription(req.EnvDescription, "EnvDescription");
  const data = optObj(req.EnvData, "EnvData");
  if (desired === undefined && name === undefined && description === undefined && !data)
    fail("InvalidParameterAtLeastOneAttribute", "", "give at least one of DesiredComputeNodeCount, EnvName, EnvDescription, EnvData");
  const env = envOf(ctx, id);
  const types = data ? instanceTypes(data.InstanceTypes, "EnvData.InstanceTypes", env.zone) : undefined;
  if (env.deleting) throw new ApiError("UnsupportedOperation.ComputeEnvAcceptOtherRequest", `The compute environment ${env.id} is being deleted.`);
  // Emulator assumption (Batch documents no rule): only a change of nodes (the count, the
  // instance types) makes an env busy or is refused while it is busy; a new name or description
  // changes no node, so it is neither (autoscale and the envs API stamp the description next to
  // a TerminateComputeNodes, shared/env-policy.ts stampDescription).
  const changesNodes = desired !== undefined || types !== undefined;
  if (changesNodes) refuseWhileApplying(ctx, env);

  if (desired !== undefined && desired < env.desired) {
    const live = env.nodes.filter(isLive).length;
    const excess = live - desired;
    if (excess > 0) {
      const candidates = scaleDownOrder(env);
      if (candidates.length < excess)
        throw new ApiError(
          "UnsupportedOperation.NotEnoughComputeNodesToTerminate",
          `DesiredComputeNodeCount: scaling ${env.id} to ${desired} needs ${excess} nodes in CREATED, RUNNING or ABNORMAL to destroy; only ${candidates.length} are.`,
        );
      for (const n of candidates.slice(0, excess)) destroyNode(ctx, env, n, `DesiredComputeNodeCount lowered to ${desired}`);
    }
  }
  if (desired !== undefined) env.desired = desired;
  if (name !== undefined) env.name = name;
  if (description !== undefined) env.description = description;
  if (types) env.instanceType = types[0]!;
  reconcile(ctx, env);
  if (changesNodes) accepted(ctx, env);
  ctx.store.saveEnv(env);
  return {};
}

function deleteComputeEnv(ctx: EmuContext, req: Obj): Obj {
  checkKnownKeys(req, ["EnvId"]);
  const env = envOf(ctx, envId(req.EnvId));
  if (env.deleting) throw new ApiError("UnsupportedOperation.ComputeEnvOperation", `The compute environment ${env.id} is already being deleted.`);
  refuseWhileApplying(ctx, env);
  env.deleting = true;
  env.desired = 0;
  for (const n of env.nodes) if (n.state !== "DELETING") destroyNode(ctx, env, n, "DeleteComputeEnv");
  ctx.store.saveEnv(env);
  return {};
}

function terminate(ctx: EmuContext, env: EnvRecord, ids: string[], path: string): void {
  const nodes = ids.map((nodeId, i) => {
    const p = ids.length === 1 && path === "ComputeNodeId" ? path : `${path}.${i}`;
    if (!NODE_ID.test(nodeId)) fail("InvalidParameter.ComputeNodeIdMalformed", p, `${nodeId} is not a node id (node-xxxxxxxx)`);
    const node = env.nodes.find((n) => n.id === nodeId);
    if (!node) throw new ApiError("ResourceNotFound.ComputeNode", `${p}: the compute node ${nodeId} does not exist in ${env.id}.`);
    if (node.state === "DELETING") throw new ApiError("UnsupportedOperation.ComputeNodeIsTerminating", `${p}: the compute node ${nodeId} is already being terminated.`);
    if (!TERMINABLE.includes(node.state))
      throw new ApiError("UnsupportedOperation.ComputeNodeForbidTerminate", `${p}: the compute node ${nodeId} is ${node.state}; only CREATED, CREATION_FAILED, RUNNING or ABNORMAL nodes can be terminated.`);
    return node;
  });
  refuseWhileApplying(ctx, env);
  let liveTerminated = 0;
  for (const n of nodes) {
    if (isLive(n)) liveTerminated++;
    destroyNode(ctx, env, n, "TerminateComputeNode");
  }
  env.desired = Math.max(0, env.desired - liveTerminated);
  accepted(ctx, env);
  ctx.store.saveEnv(env);
}

function terminateComputeNode(ctx: EmuContext, req: Obj): Obj {
  checkKnownKeys(req, ["EnvId", "ComputeNodeId"]);
  const id = envId(req.EnvId);
  const nodeId = reqStr(req.ComputeNodeId, "ComputeNodeId");
  terminate(ctx, envOf(ctx, id), [nodeId], "ComputeNodeId");
  return {};
}

function terminateComputeNodes(ctx: EmuContext, req: Obj): Obj {
  checkKnownKeys(req, ["EnvId", "ComputeNodeIds"]);
  const id = envId(req.EnvId);
  const arr = optArr(req.ComputeNodeIds, "ComputeNodeIds", 100);
  if (!arr || arr.length === 0) fail("MissingParameter", "ComputeNodeIds", "needs at least one node id");
  const ids = arr.map((x, i) => reqStr(x, `ComputeNodeIds.${i}`));
  const dup = ids.findIndex((x, i) => ids.indexOf(x) !== i);
  if (dup >= 0) fail("InvalidParameterValue", `ComputeNodeIds.${dup}`, `${ids[dup]} is listed twice`);
  terminate(ctx, envOf(ctx, id), ids, "ComputeNodeIds");
  return {};
}

function describeComputeEnvActivities(ctx: EmuContext, req: Obj): Obj {
  checkKnownKeys(req, ["EnvId", "Offset", "Limit", "Filters"]);
  const id = envId(req.EnvId);
  const filter = optFilter(req.Filters, "Filters", ["compute-node-id"]);
  const p = paging(req);
  envOf(ctx, id);
  const all = (ctx.store.activities.get(id) ?? []).filter((a) => !filter || filter.Values.includes(a.ComputeNodeId));
  return { ActivitySet: page(all, p).map(activityView), TotalCount: all.length };
}

// ── test routes ───────────────────────────────────────────────────────────────────────

function nodeAnywhere(ctx: EmuContext, nodeId: string): { env: EnvRecord; node: NodeRecord } {
  for (const env of ctx.store.envs.values()) {
    const node = env.nodes.find((n) => n.id === nodeId);
    if (node) return { env, node };
  }
  throw new ApiError("ResourceNotFound.ComputeNode", `no compute node ${nodeId}`);
}

const testRoutes: TestRoute[] = [
  {
    method: "POST",
    path: "/nodes/:nodeId/abnormal",
    handle(ctx, params) {
      const { env, node } = nodeAnywhere(ctx, params.nodeId ?? "");
      if (!DESTROYABLE.includes(node.state)) throw new ApiError("UnsupportedOperation", `node ${node.id} is ${node.state}; only CREATED, RUNNING or ABNORMAL nodes can turn abnormal`);
      if (node.state !== "ABNORMAL") {
        setState(ctx, node, "ABNORMAL");
        nodeEvent(ctx, env, node, "COMPUTE_NODE_ABNORMAL");
      }
      node.pinnedAbnormal = true;
      ctx.store.saveEnv(env);
      return nodeView(node);
    },
  },
  {
    method: "POST",
    path: "/nodes/:nodeId/healthy",
    handle(ctx, params) {
      const { env, node } = nodeAnywhere(ctx, params.nodeId ?? "");
      if (node.state !== "ABNORMAL") throw new ApiError("UnsupportedOperation", `node ${node.id} is ${node.state}, not ABNORMAL`);
      setState(ctx, node, "RUNNING");
      node.pinnedAbnormal = undefined;
      nodeEvent(ctx, env, node, "COMPUTE_NODE_RUNNING");
      ctx.store.saveEnv(env);
      return nodeView(node);
    },
  },
  {
    method: "POST",
    path: "/envs/:envId/fail-creations",
    handle(ctx, params, body) {
      const env = findEnv(ctx, params.envId ?? "");
      if (!env) throw new ApiError("ResourceNotFound.ComputeEnv", `no compute environment ${params.envId}`);
      const count = reqInt(reqObj(body, "body").count, "count", { min: -1 });
      env.failCreations = count;
      ctx.store.saveEnv(env);
      return { envId: env.id, failCreations: count };
    },
  },
  {
    method: "GET",
    path: "/envs/:envId",
    handle(ctx, params) {
      const env = findEnv(ctx, params.envId ?? "");
      if (!env) throw new ApiError("ResourceNotFound.ComputeEnv", `no compute environment ${params.envId}`);
      return env;
    },
  },
];

export const envModule: EmulatorModule = {
  actions: {
    CreateComputeEnv: createComputeEnv,
    DescribeComputeEnv: describeComputeEnv,
    DescribeComputeEnvs: describeComputeEnvs,
    DescribeComputeEnvCreateInfo: describeComputeEnvCreateInfo,
    DescribeComputeEnvCreateInfos: describeComputeEnvCreateInfos,
    ModifyComputeEnv: modifyComputeEnv,
    DeleteComputeEnv: deleteComputeEnv,
    TerminateComputeNode: terminateComputeNode,
    TerminateComputeNodes: terminateComputeNodes,
    DescribeComputeEnvActivities: describeComputeEnvActivities,
  },
  tick(ctx) {
    for (const env of [...ctx.store.envs.values()]) tickEnv(ctx, env);
  },
  testRoutes,
};
