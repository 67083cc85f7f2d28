// SCF trigger actions: CreateTrigger, DeleteTrigger, ListTriggers. Triggers live inside their
// function's record; creating or deleting one does not change the function's status.
import { ApiError, type EmuContext } from "../context";
import { page, paging } from "../paging";
import { checkKnownKeys, fail, isObj, type Obj, optArr, optStr, reqStr } from "../validate";
import { functionRef } from "./functions";
import { getFunction, refuseWhileBusy } from "./lifecycle";
import { type ScfTriggerRecord, scfFunctionKey } from "./records";
import * as rules from "./rules";
import { creatableType, DELETABLE_TYPES, triggerDesc } from "./trigger-desc";
import { triggerView } from "./views";

/** "Maximum number of same-type triggers per function: 10" (SCF quota limits). */
const SAME_TYPE_MAX = 10;
const TRIGGER_QUALIFIERS = ["$LATEST", "$DEFAULT"];
/** Timer trigger names: "英文字母、数字、连接符和下划线，最长100个字符". */
const TIMER_NAME = /^[A-Za-z0-9_-]{1,100}$/;
const CUSTOM_ARGUMENT_MAX = 4096;

function enable(v: unknown): 0 | 1 {
  const s = optStr(v, "Enable") || "OPEN";
  if (s !== "OPEN" && s !== "CLOSE") fail("InvalidParameterValue.Enable", "Enable", `must be OPEN or CLOSE (got ${s})`);
  return s === "OPEN" ? 1 : 0;
}

function triggerName(v: unknown, type: string): string {
  const s = reqStr(v, "TriggerName", { max: 200, tooLongCode: "InvalidParameterValue.TriggerName" });
  if (type === "timer" && !TIMER_NAME.test(s)) fail("InvalidParameterValue.TriggerName", "TriggerName", "a timer trigger's name is 1-100 letters, digits, - or _");
  return s;
}

function customArgument(v: unknown, type: string): string {
  const s = optStr(v, "CustomArgument", { max: CUSTOM_ARGUMENT_MAX, tooLongCode: "InvalidParameterValue.CustomArgument" }) ?? "";
  if (s !== "" && type !== "timer") fail("InvalidParameterValue.CustomArgument", "CustomArgument", "only timer triggers take a CustomArgument");
  return s;
}

function createTrigger(ctx: EmuContext, req: Obj): Obj {
  checkKnownKeys(req, ["FunctionName", "TriggerName", "Type", "TriggerDesc", "Namespace", "Qualifier", "Enable", "CustomArgument", "Description"]);
  const fn = getFunction(ctx, functionRef(ctx, req));
  refuseWhileBusy(fn, "FailedOperation.CreateTrigger");
  const type = reqStr(req.Type, "Type");
  creatableType(type);
  const name = triggerName(req.TriggerName, type);
  if (fn.triggers.some((t) => t.name === name)) throw new ApiError("ResourceInUse.Trigger", `The function ${fn.name} already has a trigger named ${name}.`);
  const desc = triggerDesc(type, reqStr(req.TriggerDesc, "TriggerDesc"), scfFunctionKey(fn), fn.region);
  const sameType = fn.triggers.filter((t) => t.type === type).length;
  if (type === "http" && sameType > 0) throw new ApiError("LimitExceeded.Trigger", `The function ${fn.name} already has an http trigger (function URL); it can have one.`);
  if (sameType >= SAME_TYPE_MAX) throw new ApiError("LimitExceeded.Trigger", `The function ${fn.name} already has ${SAME_TYPE_MAX} ${type} triggers.`);
  const trigger: ScfTriggerRecord = {
    type,
    name,
    desc,
    enable: enable(req.Enable),
    customArgument: customArgument(req.CustomArgument, type),
    qualifier: rules.qualifier(req.Qualifier, TRIGGER_QUALIFIERS),
    description: optStr(req.Description, "Description", { max: 1000 }) ?? "",
    addedAt: ctx.now(),
    modifiedAt: ctx.now(),
  };
  fn.triggers.push(trigger);
  ctx.store.put("scfFunction", fn);
  return { TriggerInfo: triggerView(trigger) };
}

/** Found by name and type; TriggerDesc and Qualifier are accepted and not matched. */
function deleteTrigger(ctx: EmuContext, req: Obj): Obj {
  checkKnownKeys(req, ["FunctionName", "TriggerName", "Type", "Namespace", "TriggerDesc", "Qualifier"]);
  const fn = getFunction(ctx, functionRef(ctx, req));
  const type = reqStr(req.Type, "Type", { oneOf: DELETABLE_TYPES });
  const name = reqStr(req.TriggerName, "TriggerName");
  optStr(req.TriggerDesc, "TriggerDesc");
  rules.qualifier(req.Qualifier, TRIGGER_QUALIFIERS);
  const at = fn.triggers.findIndex((t) => t.name === name && t.type === type);
  if (at < 0) throw new ApiError("ResourceNotFound.Trigger", `The function ${fn.name} has no ${type} trigger named ${name}.`);
  refuseWhileBusy(fn, "FailedOperation.DeleteTrigger");
  fn.triggers.splice(at, 1);
  ctx.store.put("scfFunction", fn);
  return {};
}

const FILTER_FIELDS: Record<string, (t: ScfTriggerRecord) => string> = {
  Qualifier: (t) => t.qualifier,
  TriggerName: (t) => t.name,
  Description: (t) => t.description,
};

function triggerFilters(v: unknown): Array<(t: ScfTriggerRecord) => boolean> {
  return (optArr(v, "Filters") ?? []).map((f, i) => {
    const name = isObj(f) ? f.Name : undefined;
    const values = isObj(f) ? f.Values : undefined;
    const field = typeof name === "string" ? FILTER_FIELDS[name] : undefined;
    if (!field || !Array.isArray(values)) fail("InvalidParameterValue.Filters", `Filters.${i}`, `must be {Name, Values} with Name one of ${Object.keys(FILTER_FIELDS).join(", ")}`);
    return (t: ScfTriggerRecord) => values.includes(field(t));
  });
}

function listTriggers(ctx: EmuContext, req: Obj): Obj {
  checkKnownKeys(req, ["FunctionName", "Namespace", "Offset", "Limit", "OrderBy", "Order", "Filters"]);
  const fn = getFunction(ctx, functionRef(ctx, req));
  const orderBy = optStr(req.OrderBy, "OrderBy", { oneOf: ["add_time", "mod_time"] }) || "mod_time";
  const desc = (optStr(req.Order, "Order", { oneOf: ["ASC", "DESC"] }) || "DESC") === "DESC";
  const filters = triggerFilters(req.Filters);
  const at = (t: ScfTriggerRecord) => (orderBy === "add_time" ? t.addedAt : t.modifiedAt);
  const all = fn.triggers.filter((t) => filters.every((f) => f(t))).sort((a, b) => (desc ? at(b) - at(a) : at(a) - at(b)) || a.name.localeCompare(b.name));
  return { TotalCount: all.length, Triggers: page(all, paging(req, { max: 200 })).map(triggerView) };
}

export const triggerActions = {
  CreateTrigger: createTrigger,
  DeleteTrigger: deleteTrigger,
  ListTriggers: listTriggers,
};
