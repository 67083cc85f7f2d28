// The request pieces several Batch actions take (Placement, Tags, Notifications, storage paths,
// mappings, Authentications, EnvData and instance types), checked with the product's rules from
// shared/schemas and answered with Batch's codes.
import { IMAGE_ID } from "../../shared/schemas/image";
import { checkInstanceZone, INSTANCE_TYPES, typesFitting } from "../../shared/schemas/instance-types";
import { LIMITS } from "../../shared/schemas/limits";
import { type EventName, normalizeEventName } from "../../shared/schemas/notifications";
import { checkRemotePath, isRemotePath, checkLocalPath as localPathRule, REMOTE_SCHEME_RULE } from "../../shared/schemas/paths";
import { TAG_KEY_MAX, TAG_VALUE_MAX } from "../../shared/schemas/tags";
import { TOPIC_NAME, TOPIC_NAME_RULE } from "../../shared/schemas/topic";
import { regionOfZone, ZONE, ZONE_RULE } from "../../shared/schemas/zone";
import type { NotificationConfig } from "./state";
import { fail, type Obj, objects, optArr, optInt, optObj, optStr, present, reqInt, reqObj, reqStr } from "./validate";

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
    const key = reqStr(o.Key, `${path}.${i}.Key`, { max: TAG_KEY_MAX });
    const value = reqStr(o.Value, `${path}.${i}.Value`, { max: TAG_VALUE_MAX, allowEmpty: true });
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
  // Batch tells a wrong scheme apart (RemoteStorageSchemeType) from a wrong path (RemoteStoragePath).
  if (!isRemotePath(s)) fail("InvalidParameterValue.RemoteStorageSchemeType", path, `${s}: ${REMOTE_SCHEME_RULE}`);
  const r = checkRemotePath(s, region);
  if (!r.ok) fail("InvalidParameterValue.RemoteStoragePath", path, `${s}: ${r.rule}`);
  return s;
}

/** InputMappings: remote SourcePath → absolute local DestinationPath. */
export function inputMappings(v: unknown, path: string, region: string): Obj[] {
  return objects(v, path, (o, p) => {
    checkRemoteStoragePath(o.SourcePath, `${p}.SourcePath`, region);
    checkLocalPath(o.DestinationPath, `${p}.DestinationPath`);
    optStr(o.MountOptionParameter, `${p}.MountOptionParameter`);
    optStr(o.MountType, `${p}.MountType`, { oneOf: ["COSFS", "GooseFS-Lite"] });
  });
}

/** OutputMappings: absolute local SourcePath → remote DestinationPath. */
export function outputMappings(v: unknown, path: string, region: string): Obj[] {
  return objects(v, path, (o, p) => {
    checkLocalPath(o.SourcePath, `${p}.SourcePath`);
    checkRemoteStoragePath(o.DestinationPath, `${p}.DestinationPath`, region);
  });
}

/** MountDataDisks: absolute LocalPath, FileSystemType EXT3/EXT4/NTFS. */
export function mountDataDisks(v: unknown, path: string): Obj[] {
  return objects(v, path, (o, p) => {
    checkLocalPath(o.LocalPath, `${p}.LocalPath`);
    optStr(o.FileSystemType, `${p}.FileSystemType`, { oneOf: ["EXT3", "EXT4", "NTFS"] });
  });
}

/** Authentications: Scene, SecretId, SecretKey (the key is never echoed in a message). */
export function authentications(v: unknown, path: string): Obj[] {
  return objects(v, path, (o, p) => {
    reqStr(o.Scene, `${p}.Scene`);
    reqStr(o.SecretId, `${p}.SecretId`);
    if (typeof o.SecretKey !== "string" || o.SecretKey.length === 0) fail("InvalidParameter", `${p}.SecretKey`, "must be a non-empty string");
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
  // Batch's own message: unlike our API's IMAGE_ID_RULE it names no cloud-init images.
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
    const fit = typesFitting(cpu, mem, zone)[0];
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
  const problem = checkInstanceZone(t, zone);
  if (problem) fail(INSTANCE_TYPES[t] ? "InvalidParameterValue.UnavailableZone" : "InvalidParameterValue.InstanceType", path, problem);
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
