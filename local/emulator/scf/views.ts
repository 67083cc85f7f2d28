// SCF records in the SDK's wire shapes (GetFunctionResponse, Trigger/TriggerInfo) and in the
// flat shape of GET /_emulator/scf/functions.
import type { Obj } from "../validate";
import type { ScfFunctionRecord, ScfTriggerRecord } from "./records";

const CHINA_OFFSET_MS = 8 * 3600_000;

/**
 * SCF's times read "YYYY-MM-DD hh:mm:ss" without a zone; the emulator writes them in China
 * Standard Time (UTC+8), as the console shows them. That the API does the same is unverified.
 */
export function scfTime(ms: number): string {
  return new Date(ms + CHINA_OFFSET_MS).toISOString().slice(0, 19).replace("T", " ");
}

/** Trigger (GetFunction.Triggers, CreateTrigger.TriggerInfo) and TriggerInfo (ListTriggers) share these fields. */
export function triggerView(t: ScfTriggerRecord): Obj {
  return {
    Type: t.type,
    TriggerName: t.name,
    TriggerDesc: t.desc,
    Enable: t.enable,
    CustomArgument: t.customArgument,
    AddTime: scfTime(t.addedAt),
    ModTime: scfTime(t.modifiedAt),
    AvailableStatus: t.enable ? "Available" : "Unavailable",
    Qualifier: t.qualifier,
    Description: t.description,
  };
}

/** The configuration fields GetFunction and the test route share. */
function configView(fn: ScfFunctionRecord): Obj {
  return { Runtime: fn.runtime, Handler: fn.handler, MemorySize: fn.memorySize, Timeout: fn.timeout, Role: fn.role, Description: fn.description };
}

export function functionView(fn: ScfFunctionRecord): Obj {
  return {
    FunctionName: fn.name,
    Namespace: fn.namespace,
    FunctionId: fn.functionId,
    FunctionVersion: "$LATEST",
    Qualifier: "$LATEST",
    ...configView(fn),
    Environment: { Variables: fn.environment.map((v) => ({ ...v })) },
    Status: fn.status,
    StatusDesc: fn.statusReasons[0]?.ErrorMessage ?? "",
    StatusReasons: fn.statusReasons.map((r) => ({ ...r })),
    Triggers: fn.triggers.map(triggerView),
    CodeSize: fn.codeSize,
    ModTime: scfTime(fn.modifiedAt),
    AddTime: scfTime(fn.addedAt),
    Type: fn.type,
    Tags: tagsView(fn),
    AvailableStatus: "Available",
  };
}

const tagsView = (fn: ScfFunctionRecord) => (fn.tags ?? []).map((t) => ({ ...t }));

/** ListFunctionsResponse.Functions' Function shape. */
export function listedView(fn: ScfFunctionRecord): Obj {
  return {
    FunctionName: fn.name,
    FunctionId: fn.functionId,
    Namespace: fn.namespace,
    Runtime: fn.runtime,
    Status: fn.status,
    StatusDesc: fn.statusReasons[0]?.ErrorMessage ?? "",
    StatusReasons: fn.statusReasons.map((r) => ({ ...r })),
    Description: fn.description,
    Tags: tagsView(fn),
    Type: fn.type,
    AddTime: scfTime(fn.addedAt),
    ModTime: scfTime(fn.modifiedAt),
  };
}

/** GET /_emulator/scf/functions: what a deploy test compares against its intent. */
export function adminView(fn: ScfFunctionRecord): Obj {
  return {
    Region: fn.region,
    Namespace: fn.namespace,
    FunctionName: fn.name,
    Status: fn.status,
    StatusReasons: fn.statusReasons.map((r) => ({ ...r })),
    ...configView(fn),
    Environment: Object.fromEntries(fn.environment.map((v) => [v.Key, v.Value])),
    CodeSha256: fn.codeSha256,
    CodeSize: fn.codeSize,
    Tags: Object.fromEntries(tagsView(fn).map((t) => [t.Key, t.Value])),
    Triggers: fn.triggers.map((t) => ({ Type: t.type, TriggerName: t.name, TriggerDesc: t.desc, Enable: t.enable, CustomArgument: t.customArgument })),
  };
}
