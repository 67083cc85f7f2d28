// The emulator's field checks: each throws an ApiError with the code a Tencent API answers for it
// (codes from batch errors.go) and a message naming the field path and the rule. Kept beside zod
// on purpose: the shared schemas answer our API's messages and report every issue, while Batch
// answers the first broken rule with its own code (InvalidParameter, MissingParameter, …).
import { LIMITS } from "../../shared/schemas/limits";
import { ApiError } from "./context";

export type Obj = Record<string, unknown>;

export function fail(code: string, path: string, rule: string): never {
  throw new ApiError(code, path ? `${path}: ${rule}` : rule);
}

export const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
export const present = (v: unknown): boolean => v !== undefined && v !== null;

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

/** An optional array of objects, each checked in order by `check(item, itemPath)`. */
export function objects(v: unknown, path: string, check: (o: Obj, p: string) => void): Obj[] {
  return (optArr(v, path) ?? []).map((m, i) => {
    const o = reqObj(m, `${path}.${i}`);
    check(o, `${path}.${i}`);
    return o;
  });
}
