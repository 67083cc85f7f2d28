// Request validation shared by the emulator's modules. Every check throws an ApiError with
// the code Tencent documents for it and a message naming the field path and the rule, so a
// caller sees the same failure the real API would give (codes from batch errors.go).
import { IMAGE_ID } from "../../shared/schemas/image";
import { checkInstanceZone, INSTANCE_TYPES } from "../../shared/schemas/instance-types";
import { LIMITS } from "../../shared/schemas/limits";
import { type EventName, normalizeEventName } from "../../shared/schemas/notifications";
import { checkRemotePath } from "../../shared/schemas/paths";
import { canonicalJson, sha256hex } from "../../shared/schemas/canonical-json";
import { maskSecrets } from "../../shared/schemas/masking";
import { checkLocalPath as localPathRule } from "../../shared/schemas/paths";
import { TOPIC_NAME, TOPIC_NAME_RULE } from "../../shared/schemas/topic";
import { regionOfZone, ZONE, ZONE_RULE } from "../../shared/schemas/zone";
import { ApiError, type EmuContext } from "./context";
import type { NotificationConfig } from "./state";

export type Obj = Record<string, unknown>;

export function fail(code: string, path: string, rule: string): never {
  throw new ApiError(code, path ? `${path}: ${rule}` : rule);
}

export const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const present = (v: unknown) => v !== undefined && v !== null;

/** Rejects top-level parameters the action does not take (the API answers UnknownParameter). */
export function checkKnownKeys(req: Obj, allowed: readonly string[], path = ""): void {
  for (const k of Object.keys(req)) {
    if (!allowed.includes(k)) fail("UnknownParameter", path ? `${path}.${k}` : k, `is not a parameter of this action; known: ${allowed.join(", ")}`);
  }
}

export function optObj(v: unknown, path: string): Obj | undefined {
  if (!present(v)) return undefined;
  if (!isObj(v)) fail("InvalidParameter", path, "must be an object");
  return v;
}

export function reqObj(v: unknown, path: string): Obj {
  const o = optObj(v, path);
  if (!o) fail("MissingParameter", path, "is required");
  return o;
}

export interface StringRule {
  /** Longest allowed length, in characters. */
  max?: number;
  /** Code when longer than `max` (default InvalidParameterValue.LimitExceeded). */
  tooLongCode?: string;
  /** Allow "" (default false for required strings, true for optional ones). */
  allowEmpty?: boolean;
  pattern?: RegExp;
  patternCode?: string;
  patternRule?: string;
  /** Only these values. */
  oneOf?: readonly string[];
}

export function optStr(v: unknown, path: string, rule: StringRule = {}): string | undefined {
  if (!present(v)) return undefined;
  return checkStr(v, path, { allowEmpty: true, ...rule });
}

export function reqStr(v: unknown, path: string, rule: StringRule = {}): string {
  if (!present(v)) fail("MissingParameter", path, "is required");
  return checkStr(v, path, rule);
}

function checkStr(v: unknown, path: string, rule: StringRule): string {
  if (typeof v !== "string") fail("InvalidParameter", path, `must be a string, got ${typeName(v)}`);
  if (!rule.allowEmpty && v.length === 0) fail("InvalidParameter", path, "must not be empty");
  if (rule.max !== undefined && [...v].length > rule.max)
    fail(rule.tooLongCode ?? "InvalidParameterValue.LimitExceeded", path, `must be at most ${rule.max} characters (got ${[...v].length})`);
  if (rule.pattern && v.length > 0 && !rule.pattern.test(v))
    fail(rule.patternCode ?? "InvalidParameterValue", path, rule.patternRule ?? `must match ${rule.pattern}`);
  if (rule.oneOf && !rule.oneOf.includes(v)) fail("InvalidParameterValue", path, `must be one of ${rule.oneOf.join(", ")} (got ${v})`);
  return v;
}

export interface IntRule {
  min?: number;
  max?: number;
  /** Code below `min` (default InvalidParameterValue.Negative when min is 0, else InvalidParameterValue). */
  belowCode?: string;
  /** Code above `max` (default InvalidParameterValue.LimitExceeded). */
  aboveCode?: string;
  /** Accept integer strings such as "1" (the user guide sends Priority that way). */
  coerceString?: boolean;
}

export function optInt(v: unknown, path: string, rule: IntRule = {}): number | undefined {
  if (!present(v)) return undefined;
  return checkInt(v, path, rule);
}

export function reqInt(v: unknown, path: string, rule: IntRule = {}): number {
  if (!present(v)) fail("MissingParameter", path, "is required");
  return checkInt(v, path, rule);
}

function checkInt(v: unknown, path: string, rule: IntRule): number {
  let n: unknown = v;
  if (rule.coerceString && typeof v === "string" && /^-?\d+$/.test(v.trim())) n = Number(v.trim());
  if (typeof n !== "number" || !Number.isFinite(n)) fail("InvalidParameter", path, `must be an integer, got ${typeName(v)}`);
  if (!Number.isInteger(n)) fail("InvalidParameter", path, `must be an integer, got ${n}`);
  if (rule.min !== undefined && n < rule.min)
    fail(rule.belowCode ?? (rule.min === 0 ? "InvalidParameterValue.Negative" : "InvalidParameterValue"), path, `must be at least ${rule.min} (got ${n})`);
  if (rule.max !== undefined && n > rule.max) fail(rule.aboveCode ?? "InvalidParameterValue.LimitExceeded", path, `must be at most ${rule.max} (got ${n})`);
  return n;
}

export function optBool(v: unknown, path: string): boolean | undefined {
  if (!present(v)) return undefined;
  if (typeof v !== "boolean") fail("InvalidParameter", path, `must be a boolean, got ${typeName(v)}`);
  return v;
}

export function optArr(v: unknown, path: string, max?: number, maxCode = "InvalidParameterValue.LimitExceeded"): unknown[] | undefined {
  if (!present(v)) return undefined;
  if (!Array.isArray(v)) fail("InvalidParameter", path, `must be an array, got ${typeName(v)}`);
  if (max !== undefined && v.length > max) fail(maxCode, path, `must have at most ${max} items (got ${v.length})`);
  return v;
}

/** An id list such as EnvIds / JobIds: strings of the given shape, ≤ max, no duplicates. */
export function optIdList(v: unknown, path: string, id: RegExp, malformedCode: string, max: number = LIMITS.pageLimit): string[] | undefined {
  const arr = optArr(v, path, max);
  if (!arr) return undefined;
  const out: string[] = [];
  arr.forEach((x, i) => {
    const s = reqStr(x, `${path}.${i}`);
    if (!id.test(s)) fail(malformedCode, `${path}.${i}`, `${s} is not a valid id (${id})`);
    if (out.includes(s)) fail("InvalidParameterValue", `${path}.${i}`, `${s} is listed twice`);
    out.push(s);
  });
  return out;
}

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}

// ── paging and filters ────────────────────────────────────────────────────────────────

export interface Paging {
  offset: number;
  limit: number;
}

/** Offset (default 0) and Limit (default 20, at most 100 unless said otherwise). */
export function paging(req: Obj, defaults: { limit?: number; max?: number } = {}): Paging {
  const max = defaults.max ?? LIMITS.pageLimit;
  const offset = optInt(req.Offset, "Offset", { min: 0 }) ?? 0;
  const limit = optInt(req.Limit, "Limit", { min: 0, max }) ?? defaults.limit ?? 20;
  return { offset, limit };
}

export const page = <T>(items: T[], p: Paging): T[] => items.slice(p.offset, p.offset + p.limit);

export interface FilterSpec {
  Name: string;
  Values: string[];
}

const MAX_FILTERS = 10;
const MAX_FILTER_VALUES = 100;

/**
 * Filters: `[{Name, Values}]`, each name among `names` (or `tag:<key>` when `tagFilters`).
 * Separate filters are ANDed, values inside one are ORed (see matchesFilters).
 */
export function optFilters(v: unknown, path: string, names: readonly string[], opts: { tagFilters?: boolean } = {}): FilterSpec[] | undefined {
  const arr = optArr(v, path, MAX_FILTERS);
  if (!arr) return undefined;
  return arr.map((f, i) => checkFilter(f, `${path}.${i}`, names, opts));
}

/** One Filter object (DescribeComputeEnvActivities takes a single Filter, not an array). */
export function optFilter(v: unknown, path: string, names: readonly string[]): FilterSpec | undefined {
  if (!present(v)) return undefined;
  if (Array.isArray(v)) fail("InvalidParameter", path, "must be one Filter object {Name, Values}, not an array");
  return checkFilter(v, path, names, {});
}

function checkFilter(f: unknown, path: string, names: readonly string[], opts: { tagFilters?: boolean }): FilterSpec {
  const o = reqObj(f, path);
  const name = reqStr(o.Name, `${path}.Name`);
  const isTag = opts.tagFilters && name.startsWith("tag:") && name.length > 4;
  if (!isTag && !names.includes(name))
    fail("InvalidFilter", `${path}.Name`, `unknown filter ${name}; known: ${[...names, ...(opts.tagFilters ? ["tag:<key>"] : [])].join(", ")}`);
  const values = optArr(o.Values, `${path}.Values`, MAX_FILTER_VALUES);
  if (!values) fail("MissingParameter", `${path}.Values`, "is required");
  return { Name: name, Values: values.map((x, j) => reqStr(x, `${path}.Values.${j}`, { allowEmpty: true })) };
}

/** True when every filter has a value among the record's values for that filter name. */
export function matchesFilters(filters: readonly FilterSpec[] | undefined, valuesOf: (name: string) => readonly string[]): boolean {
  if (!filters) return true;
  return filters.every((f) => {
    const have = valuesOf(f.Name);
    return f.Values.some((v) => have.includes(v));
  });
}

/** Values of the tag filters (`tag-key`, `tag-value`, `tag:<key>`) for a record's tags; [] for other names. */
export function tagFilterValues(tags: ReadonlyArray<{ Key: string; Value: string }>, name: string): string[] {
  if (name === "tag-key") return tags.map((t) => t.Key);
  if (name === "tag-value") return tags.map((t) => t.Value);
  if (name.startsWith("tag:")) {
    const key = name.slice(4);
    return tags.filter((t) => t.Key === key).map((t) => t.Value);
  }
  return [];
}

/** `EnvIds`/`JobIds` and `Filters` together are refused. */
export function exclusive(req: Obj, a: string, b: string): void {
  if (present(req[a]) && present(req[b])) fail("InvalidParameter.InvalidParameterCombination", `${a}, ${b}`, `give ${a} or ${b}, not both`);
}

// ── shared business structures ────────────────────────────────────────────────────────

/** Placement: Zone required, shaped like ap-guangzhou-2, in the request's region (X-TC-Region). */
export function placement(v: unknown, path: string, region: string): { Zone: string; ProjectId?: number } {
  const o = reqObj(v, path);
  const zone = reqStr(o.Zone, `${path}.Zone`, {
    pattern: ZONE,
    patternCode: "InvalidParameterValue.UnavailableZone",
    patternRule: ZONE_RULE,
  });
  if (regionOfZone(zone) !== region) fail("InvalidZone.MismatchRegion", `${path}.Zone`, `zone ${zone} is not in the request's region ${region}`);
  const projectId = optInt(o.ProjectId, `${path}.ProjectId`, { min: 0 });
  return projectId === undefined ? { Zone: zone } : { Zone: zone, ProjectId: projectId };
}

/** Tags: at most 10, Key non-empty (≤127) and unique, Value a string (≤255). */
export function tags(v: unknown, path: string): Array<{ Key: string; Value: string }> {
  const arr = optArr(v, path, LIMITS.tags) ?? [];
  const out: Array<{ Key: string; Value: string }> = [];
  arr.forEach((t, i) => {
    const o = reqObj(t, `${path}.${i}`);
    const key = reqStr(o.Key, `${path}.${i}.Key`, { max: 127 });
    const value = reqStr(o.Value, `${path}.${i}.Value`, { max: 255, allowEmpty: true });
    if (out.some((x) => x.Key === key)) fail("InvalidParameterValue", `${path}.${i}.Key`, `tag key ${key} is given twice`);
    out.push({ Key: key, Value: value });
  });
  return out;
}

/**
 * Notifications `[{TopicName, EventConfigs:[{EventName, EventVars}]}]`. Event names are accepted
 * in both spellings the docs use (JOB_FAILED, JobFailed) and stored upper case; `allowed` are the
 * events the action may configure (SUBMIT_JOB_EVENTS or CREATE_ENV_EVENTS from rules.ts).
 */
export function notifications(v: unknown, path: string, allowed: readonly EventName[]): NotificationConfig[] {
  const arr = optArr(v, path, 10) ?? [];
  return arr.map((n, i) => {
    const p = `${path}.${i}`;
    const o = reqObj(n, p);
    if (!present(o.TopicName)) fail("InvalidParameter.NotificationTopicName", `${p}.TopicName`, "is required");
    const topic = reqStr(o.TopicName, `${p}.TopicName`, {
      max: LIMITS.topicName,
      tooLongCode: "InvalidParameter.NotificationTopicNameTooLong",
    });
    if (!TOPIC_NAME.test(topic))
      fail("InvalidParameter.NotificationTopicName", `${p}.TopicName`, TOPIC_NAME_RULE);
    const configs = optArr(o.EventConfigs, `${p}.EventConfigs`);
    if (!configs || configs.length === 0) fail("MissingParameter", `${p}.EventConfigs`, "needs at least one event");
    const seen = new Set<string>();
    const EventConfigs = configs.map((c, j) => {
      const cp = `${p}.EventConfigs.${j}`;
      const co = reqObj(c, cp);
      const raw = reqStr(co.EventName, `${cp}.EventName`);
      const name = normalizeEventName(raw);
      if (!name || !allowed.includes(name))
        fail("InvalidParameterValue", `${cp}.EventName`, `${raw} is not an event of this action; allowed: ${allowed.join(", ")}`);
      if (seen.has(name)) fail("InvalidParameter.NotificationEventNameDuplicate", `${cp}.EventName`, `${name} is configured twice for topic ${topic}`);
      seen.add(name);
      const vars = optArr(co.EventVars, `${cp}.EventVars`) ?? [];
      const EventVars = vars.map((ev, k) => {
        const eo = reqObj(ev, `${cp}.EventVars.${k}`);
        return { Name: reqStr(eo.Name, `${cp}.EventVars.${k}.Name`), Value: reqStr(eo.Value, `${cp}.EventVars.${k}.Value`, { allowEmpty: true }) };
      });
      return { EventName: name, EventVars };
    });
    return { TopicName: topic, EventConfigs };
  });
}

export function notificationTarget(v: unknown, path: string): string | undefined {
  return optStr(v, path, { oneOf: ["CMQ", "TDMQ_CMQ"] });
}

/** An absolute local path: `/data/` on Linux or `C:\data\` on Windows. */
export function checkLocalPath(v: unknown, path: string): string {
  const s = reqStr(v, path);
  const r = localPathRule(s);
  if (!r.ok) fail("InvalidParameterValue.LocalPath", path, r.rule);
  return s;
}

/** A remote storage path (cos://, cfs://, nfs://) checked against rules.ts, COS in `region`. */
export function checkRemoteStoragePath(v: unknown, path: string, region?: string): string {
  const s = reqStr(v, path);
  if (!/^(cos|cfs|nfs):\/\//i.test(s)) fail("InvalidParameterValue.RemoteStorageSchemeType", path, `${s}: remote paths start with cos://, cfs:// or nfs://`);
  const r = checkRemotePath(s, region);
  if (!r.ok) fail("InvalidParameterValue.RemoteStoragePath", path, `${s}: ${r.rule}`);
  return s;
}

/** InputMappings: remote SourcePath → absolute local DestinationPath. */
export function inputMappings(v: unknown, path: string, region: string): Obj[] {
  const arr = optArr(v, path) ?? [];
  return arr.map((m, i) => {
    const o = reqObj(m, `${path}.${i}`);
    checkRemoteStoragePath(o.SourcePath, `${path}.${i}.SourcePath`, region);
    checkLocalPath(o.DestinationPath, `${path}.${i}.DestinationPath`);
    optStr(o.MountOptionParameter, `${path}.${i}.MountOptionParameter`);
    optStr(o.MountType, `${path}.${i}.MountType`, { oneOf: ["COSFS", "GooseFS-Lite"] });
    return o;
  });
}

/** OutputMappings: absolute local SourcePath → remote DestinationPath. */
export function outputMappings(v: unknown, path: string, region: string): Obj[] {
  const arr = optArr(v, path) ?? [];
  return arr.map((m, i) => {
    const o = reqObj(m, `${path}.${i}`);
    checkLocalPath(o.SourcePath, `${path}.${i}.SourcePath`);
    checkRemoteStoragePath(o.DestinationPath, `${path}.${i}.DestinationPath`, region);
    return o;
  });
}

/** MountDataDisks: absolute LocalPath, FileSystemType EXT3/EXT4/NTFS. */
export function mountDataDisks(v: unknown, path: string): Obj[] {
  const arr = optArr(v, path) ?? [];
  return arr.map((m, i) => {
    const o = reqObj(m, `${path}.${i}`);
    checkLocalPath(o.LocalPath, `${path}.${i}.LocalPath`);
    optStr(o.FileSystemType, `${path}.${i}.FileSystemType`, { oneOf: ["EXT3", "EXT4", "NTFS"] });
    return o;
  });
}

/** Authentications: Scene, SecretId, SecretKey (the key is never echoed in a message). */
export function authentications(v: unknown, path: string): Obj[] {
  const arr = optArr(v, path) ?? [];
  return arr.map((a, i) => {
    const o = reqObj(a, `${path}.${i}`);
    reqStr(o.Scene, `${path}.${i}.Scene`);
    reqStr(o.SecretId, `${path}.${i}.SecretId`);
    if (typeof o.SecretKey !== "string" || o.SecretKey.length === 0) fail("InvalidParameter", `${path}.${i}.SecretKey`, "must be a non-empty string");
    return o;
  });
}

export interface InstanceChoice {
  instanceType: string;
  cpu: number;
  memGiB: number;
}

/**
 * EnvData of a compute environment (named or anonymous): one of InstanceType / InstanceTypes /
 * InstanceTypeOptions, each known and sold in `zone` (BS1 only in BS1 zones); ImageId img-xxxxxxxx.
 * Returns the instance type nodes will get (the first of InstanceTypes that fits).
 */
export function envData(v: unknown, path: string, zone: string): InstanceChoice {
  const o = reqObj(v, path);
  const given = ["InstanceType", "InstanceTypes", "InstanceTypeOptions"].filter((k) => present(o[k]));
  if (given.length > 1) fail("InvalidParameter.InvalidParameterCombination", path, `give only one of ${given.join(", ")}`);
  if (present(o.ImageId))
    reqStr(o.ImageId, `${path}.ImageId`, { pattern: IMAGE_ID, patternCode: "InvalidParameter.ImageIdMalformed", patternRule: "an image id looks like img-xxxxxxxx" });
  if (present(o.InstanceChargeType)) optStr(o.InstanceChargeType, `${path}.InstanceChargeType`, { oneOf: ["POSTPAID_BY_HOUR", "SPOTPAID"] });
  optObj(o.SystemDisk, `${path}.SystemDisk`);
  optArr(o.DataDisks, `${path}.DataDisks`);
  optObj(o.VirtualPrivateCloud, `${path}.VirtualPrivateCloud`);
  optObj(o.LoginSettings, `${path}.LoginSettings`);
  optArr(o.SecurityGroupIds, `${path}.SecurityGroupIds`);
  optArr(o.Zones, `${path}.Zones`);
  if (present(o.InstanceType)) return instanceType(o.InstanceType, `${path}.InstanceType`, zone);
  if (present(o.InstanceTypes)) {
    const list = instanceTypes(o.InstanceTypes, `${path}.InstanceTypes`, zone);
    return choice(list[0]!);
  }
  if (present(o.InstanceTypeOptions)) {
    const p = `${path}.InstanceTypeOptions`;
    const opt = reqObj(o.InstanceTypeOptions, p);
    const cpu = reqInt(opt.CPU, `${p}.CPU`, { min: 1 });
    const mem = reqInt(opt.Memory, `${p}.Memory`, { min: 1 });
    const fit = Object.keys(INSTANCE_TYPES).find((t) => INSTANCE_TYPES[t]!.cpu === cpu && INSTANCE_TYPES[t]!.memGiB === mem && !checkInstanceZone(t, zone));
    if (!fit) fail("InvalidParameterValue.InstanceType", p, `no instance type with ${cpu} vCPU and ${mem} GiB is sold in ${zone}`);
    return choice(fit);
  }
  fail("InvalidParameterValue.InstanceTypesEmpty", path, "needs InstanceType, InstanceTypes or InstanceTypeOptions");
}

function choice(t: string): InstanceChoice {
  const spec = INSTANCE_TYPES[t]!;
  return { instanceType: t, cpu: spec.cpu, memGiB: spec.memGiB };
}

/** One instance type: known (InvalidParameterValue.InstanceType) and sold in zone (…UnavailableZone). */
export function instanceType(v: unknown, path: string, zone: string): InstanceChoice {
  const t = reqStr(v, path);
  if (!INSTANCE_TYPES[t]) fail("InvalidParameterValue.InstanceType", path, `unknown instance type ${t}; known: ${Object.keys(INSTANCE_TYPES).join(", ")}`);
  const problem = checkInstanceZone(t, zone);
  if (problem) fail("InvalidParameterValue.UnavailableZone", path, problem);
  return choice(t);
}

/** InstanceTypes: 1..10, no duplicates, each known and sold in zone. */
export function instanceTypes(v: unknown, path: string, zone: string): string[] {
  const arr = optArr(v, path, 10);
  if (!arr || arr.length === 0) fail("InvalidParameterValue.InstanceTypesEmpty", path, "needs at least one instance type");
  const out: string[] = [];
  arr.forEach((x, i) => {
    const c = instanceType(x, `${path}.${i}`, zone);
    if (out.includes(c.instanceType)) fail("InvalidParameterValue.InstanceTypeDuplicate", `${path}.${i}`, `${c.instanceType} is listed twice`);
    out.push(c.instanceType);
  });
  return out;
}

// ── idempotency (ClientToken) ─────────────────────────────────────────────────────────

/**
 * ClientToken: at most 64 printable ASCII characters, Batch's own rule. (The functions accept an
 * Idempotency-Key of up to 255 and send Batch a 64-character token derived from it.)
 */
export function clientToken(v: unknown): string | undefined {
  return optStr(v, "ClientToken", {
    max: LIMITS.clientToken,
    tooLongCode: "InvalidParameter",
    pattern: /^[\x20-\x7e]+$/,
    patternCode: "InvalidParameter",
    patternRule: "must be printable ASCII",
  });
}

/** sha256 of the request with sorted keys, ClientToken left out, region included. */
export function requestHash(req: Obj, region: string): string {
  const { ClientToken: _ignored, ...rest } = req;
  return sha256hex(canonicalJson({ region, request: rest }));
}

/**
 * The id an earlier request with the same ClientToken created, or undefined for a new token.
 * The same token with a different request is refused, naming ClientToken.
 */
export function replayedResult(ctx: EmuContext, action: string, token: string | undefined, req: Obj): string | undefined {
  if (!token) return undefined;
  const prior = ctx.store.getToken(action, token);
  if (!prior) return undefined;
  if (prior.requestHash !== requestHash(req, ctx.region))
    fail("InvalidParameter", "ClientToken", `token ${token} was already used for a different ${action} request`);
  return prior.resultId;
}

export function rememberToken(ctx: EmuContext, action: string, token: string | undefined, req: Obj, resultId: string): void {
  if (!token) return;
  ctx.store.saveToken({ action, token, requestHash: requestHash(req, ctx.region), resultId, at: ctx.now() });
}

/** A deep copy with secrets (SecretKey, Password) replaced, for what is stored or echoed back. */
export const redactSecrets = maskSecrets;
