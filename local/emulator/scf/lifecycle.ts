// A function's status over time: Creating/Updating last `timings.scfCreateMs`/`scfUpdateMs`,
// then Active, or CreateFailed/UpdateFailed when a fail-next hook was taken. Status is settled
// lazily whenever a function is read, so it is right after a restart without any tick.
// A failed update gives back the code and configuration the function had before it: SCF's
// status docs say a function whose update failed keeps serving its content from before the
// update (product/583/37883), so GetFunction and GetFunctionAddress show that content too.
import { ApiError, type EmuContext } from "../context";
import { SCF_REVERTIBLE, type ScfFunctionRecord, type ScfFunctionRef, type ScfPhase, type ScfRevertible, scfFailNextKey, scfFunctionKey } from "./records";

const BUSY = ["Creating", "Updating", "Deleting"] as const;

/** Moves a Creating/Updating function on if its time is up; saves it when it changed. */
export function settle(ctx: EmuContext, fn: ScfFunctionRecord): ScfFunctionRecord {
  const creating = fn.status === "Creating";
  if (!creating && fn.status !== "Updating") return fn;
  const lasts = creating ? ctx.timings.scfCreateMs : ctx.timings.scfUpdateMs;
  const now = ctx.now();
  if (now - fn.statusSince < lasts) return fn;
  const failure = fn.pendingFailure;
  fn.status = failure ? (creating ? "CreateFailed" : "UpdateFailed") : "Active";
  fn.statusReasons = failure ? [failure] : [];
  if (failure && fn.revertTo) Object.assign(fn, fn.revertTo);
  fn.pendingFailure = undefined;
  fn.revertTo = undefined;
  fn.statusSince = now;
  ctx.store.put("scfFunction", fn);
  return fn;
}

export function findFunction(ctx: EmuContext, ref: ScfFunctionRef): ScfFunctionRecord | undefined {
  const fn = ctx.store.keyed.scfFunction.get(scfFunctionKey(ref));
  return fn && settle(ctx, fn);
}

export function getFunction(ctx: EmuContext, ref: ScfFunctionRef): ScfFunctionRecord {
  const fn = findFunction(ctx, ref);
  if (!fn) throw new ApiError("ResourceNotFound.Function", `The function ${ref.name} does not exist in namespace ${ref.namespace} (region ${ref.region}).`);
  return fn;
}

/**
 * Refuses a change while the function is Creating, Updating or Deleting. The code is the one
 * SCF's error list gives the action (e.g. FailedOperation.UpdateFunctionCode, "当前函数状态无法
 * 更新代码，请在状态为正常时更新"); CreateFailed and UpdateFailed functions may be changed.
 */
export function refuseWhileBusy(fn: ScfFunctionRecord, code: string): void {
  if ((BUSY as readonly string[]).includes(fn.status))
    throw new ApiError(code, `The function's status is ${fn.status}; retry when it is Active.`);
}

/** A copy of what an update may change, taken before it changes anything. */
export function revertible(fn: ScfFunctionRecord): ScfRevertible {
  const copy = structuredClone(fn);
  return Object.fromEntries(SCF_REVERTIBLE.map((k) => [k, copy[k]])) as ScfRevertible;
}

/** Enters Creating/Updating, taking a fail-next hook for this phase if one is set; `before` is what a failed update restores. */
export function startChange(ctx: EmuContext, fn: ScfFunctionRecord, phase: ScfPhase, before?: ScfRevertible): void {
  const hookKey = scfFailNextKey({ ...fn, phase });
  const hook = ctx.store.keyed.scfFailNext.get(hookKey);
  if (hook) ctx.store.remove("scfFailNext", hookKey);
  fn.status = phase === "create" ? "Creating" : "Updating";
  fn.statusSince = ctx.now();
  fn.statusReasons = [];
  fn.pendingFailure = hook?.failure;
  fn.revertTo = hook && phase === "update" ? before : undefined;
  fn.modifiedAt = ctx.now();
  ctx.store.put("scfFunction", fn);
}
