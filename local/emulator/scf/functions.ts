// SCF function actions: CreateFunction, GetFunction, GetFunctionAddress, UpdateFunctionCode,
// UpdateFunctionConfiguration, DeleteFunction. Parameters are the SDK model's (others answer
// UnknownParameter); model fields the emulator does not model (VpcConfig, Layers, Cls*, …) are
// accepted and ignored.
import { ApiError, type EmuContext } from "../context";
import { checkKnownKeys, fail, isObj, type Obj, optStr, reqObj } from "../validate";
import { type CodeInfo, decodeZip, ZIP_LIMITS } from "./code";
import { findFunction, getFunction, refuseWhileBusy, revertible, startChange } from "./lifecycle";
import { type ScfFunctionRecord, type ScfFunctionRef, scfFunctionKey } from "./records";
import * as rules from "./rules";
import { functionView } from "./views";

const CREATE_KEYS = [
  "FunctionName", "Code", "Handler", "Description", "MemorySize", "Timeout", "Environment", "Runtime", "VpcConfig", "Namespace", "Role",
  "InstallDependency", "ClsLogsetId", "ClsTopicId", "Type", "CodeSource", "Layers", "DeadLetterConfig", "PublicNetConfig", "CfsConfig",
  "InitTimeout", "Tags", "AsyncRunEnable", "TraceEnable", "AutoDeployClsTopicIndex", "AutoCreateClsTopic", "ProtocolType", "ProtocolParams",
  "InstanceConcurrencyConfig", "DnsCache", "IntranetConfig",
] as const;
const UPDATE_CODE_KEYS = [
  "FunctionName", "Handler", "CosBucketName", "CosObjectName", "ZipFile", "Namespace", "CosBucketRegion", "InstallDependency", "EnvId", "Publish", "Code", "CodeSource",
] as const;
const UPDATE_CONFIG_KEYS = [
  "FunctionName", "Description", "MemorySize", "Timeout", "Runtime", "Environment", "Namespace", "VpcConfig", "Role", "InstallDependency", "ClsLogsetId",
  "ClsTopicId", "Publish", "Layers", "DeadLetterConfig", "PublicNetConfig", "CfsConfig", "InitTimeout", "ProtocolParams", "InstanceConcurrencyConfig",
  "DnsCache", "IntranetConfig", "IgnoreSysLog",
] as const;
/** Code.* and top-level fields that name another code source than an inline zip. */
const OTHER_SOURCES = ["CosBucketName", "CosObjectName", "DemoId", "TempCosObjectName", "ImageConfig", "GitUrl"] as const;

/** The region + namespace + name a request names. */
export function functionRef(ctx: EmuContext, req: Obj): ScfFunctionRef {
  return { region: ctx.region, namespace: rules.namespace(req.Namespace), name: rules.functionName(req.FunctionName) };
}

/** Code.ZipFile (or, for UpdateFunctionCode, a top-level ZipFile): the emulator takes inline zips only. */
function inlineCode(req: Obj, topLevel: boolean): CodeInfo {
  const code = topLevel ? (isObj(req.Code) ? req.Code : undefined) : reqObj(req.Code, "Code");
  for (const k of OTHER_SOURCES) {
    if ((code && code[k] !== undefined) || (topLevel && req[k] !== undefined))
      fail("InvalidParameterValue.CodeSource", code && code[k] !== undefined ? `Code.${k}` : k, "the emulator takes inline zips (ZipFile) only");
  }
  if (topLevel && req.ZipFile !== undefined) return decodeZip(req.ZipFile, "ZipFile", ZIP_LIMITS.topLevel);
  return decodeZip(code?.ZipFile, "Code.ZipFile", ZIP_LIMITS.code);
}

function createFunction(ctx: EmuContext, req: Obj): Obj {
  checkKnownKeys(req, CREATE_KEYS);
  const ref = functionRef(ctx, req);
  if (findFunction(ctx, ref)) throw new ApiError("ResourceInUse.Function", `The function ${ref.name} already exists in namespace ${ref.namespace}.`);
  const runtime = req.Runtime === undefined ? "Python2.7" : rules.runtime(req.Runtime);
  const code = inlineCode(req, false);
  const fn: ScfFunctionRecord = {
    ...ref,
    functionId: ctx.ids.next("lam"),
    runtime,
    handler: rules.handler(req.Handler) ?? "index.main_handler",
    memorySize: rules.memorySize(req.MemorySize) ?? 128,
    timeout: rules.timeout(req.Timeout) ?? 3,
    role: optStr(req.Role, "Role") ?? "",
    description: rules.description(req.Description) ?? "",
    type: rules.functionType(req.Type),
    environment: rules.environment(req.Environment) ?? [],
    tags: rules.tags(req.Tags),
    codeSha256: code.sha256,
    codeSize: code.size,
    status: "Creating",
    statusSince: ctx.now(),
    statusReasons: [],
    addedAt: ctx.now(),
    modifiedAt: ctx.now(),
    triggers: [],
  };
  startChange(ctx, fn, "create");
  return {};
}

function getFunctionAction(ctx: EmuContext, req: Obj): Obj {
  checkKnownKeys(req, ["FunctionName", "Qualifier", "Namespace", "ShowCode"]);
  rules.qualifier(req.Qualifier);
  return functionView(getFunction(ctx, functionRef(ctx, req)));
}

/** Url is not fetchable (the emulator keeps no code). CodeSha256: hex here; real SCF's encoding (hex or base64) is unverified. */
function getFunctionAddress(ctx: EmuContext, req: Obj): Obj {
  checkKnownKeys(req, ["FunctionName", "Qualifier", "Namespace"]);
  rules.qualifier(req.Qualifier);
  const fn = getFunction(ctx, functionRef(ctx, req));
  const url = `https://scf-code-emulator-${fn.region}.cos.${fn.region}.myqcloud.com/${fn.namespace}/${fn.name}/${fn.codeSha256}.zip`;
  return { Url: url, CodeSha256: fn.codeSha256 };
}

function updateFunctionCode(ctx: EmuContext, req: Obj): Obj {
  checkKnownKeys(req, UPDATE_CODE_KEYS);
  const fn = getFunction(ctx, functionRef(ctx, req));
  refuseWhileBusy(fn, "FailedOperation.UpdateFunctionCode");
  const code = inlineCode(req, true);
  const handler = rules.handler(req.Handler);
  const before = revertible(fn);
  fn.codeSha256 = code.sha256;
  fn.codeSize = code.size;
  if (handler !== undefined) fn.handler = handler;
  startChange(ctx, fn, "update", before);
  return {};
}

/** Only the fields sent change; Environment replaces the whole variable set. Runtime cannot change (the model says so). */
function updateFunctionConfiguration(ctx: EmuContext, req: Obj): Obj {
  checkKnownKeys(req, UPDATE_CONFIG_KEYS);
  const fn = getFunction(ctx, functionRef(ctx, req));
  refuseWhileBusy(fn, "FailedOperation.UpdateFunctionConfiguration");
  const runtime = req.Runtime === undefined ? undefined : rules.runtime(req.Runtime);
  if (runtime !== undefined && runtime !== fn.runtime)
    fail("InvalidParameterValue.Runtime", "Runtime", `is ${fn.runtime} and cannot be changed after creation (asked for ${runtime})`);
  const change = {
    memorySize: rules.memorySize(req.MemorySize),
    timeout: rules.timeout(req.Timeout),
    description: rules.description(req.Description),
    environment: rules.environment(req.Environment),
    role: optStr(req.Role, "Role"),
  };
  const before = revertible(fn);
  for (const [k, v] of Object.entries(change)) if (v !== undefined) Object.assign(fn, { [k]: v });
  startChange(ctx, fn, "update", before);
  return {};
}

/** Removes the function and its triggers at once (the emulator skips SCF's brief Deleting). */
function deleteFunction(ctx: EmuContext, req: Obj): Obj {
  checkKnownKeys(req, ["FunctionName", "Namespace", "Qualifier"]);
  rules.qualifier(req.Qualifier);
  const fn = getFunction(ctx, functionRef(ctx, req));
  refuseWhileBusy(fn, "FailedOperation.DeleteFunction");
  ctx.store.remove("scfFunction", scfFunctionKey(fn));
  return {};
}

export const functionActions = {
  CreateFunction: createFunction,
  GetFunction: getFunctionAction,
  GetFunctionAddress: getFunctionAddress,
  UpdateFunctionCode: updateFunctionCode,
  UpdateFunctionConfiguration: updateFunctionConfiguration,
  DeleteFunction: deleteFunction,
};
