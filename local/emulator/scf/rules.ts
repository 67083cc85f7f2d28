// SCF request fields and the rules the API applies to them (scf_models.d.ts v20180416; codes
// from the SDK's scf errors list). Each check throws the ApiError the real API would answer.
import { SCF_DESCRIPTION } from "../../stack/serverless-config";
import { fail, isObj, type Obj, optArr, optInt, optStr, reqStr } from "../validate";

/** CreateFunctionRequest.Runtime's list in the SDK model, plus the older names the brief lists (Php5, Php7). */
export const SCF_RUNTIMES = [
  "Python2.7",
  "Python3.6",
  "Python3.7",
  "Python3.9",
  "Python3.10",
  "Nodejs6.10",
  "Nodejs8.9",
  "Nodejs10.15",
  "Nodejs12.16",
  "Nodejs14.18",
  "Nodejs16.13",
  "Nodejs18.15",
  "Php5",
  "Php5.6",
  "Php7",
  "Php7.4",
  "Php8.0",
  "Go1",
  "Java8",
  "CustomRuntime",
] as const;

/** 2–60 characters, letters/digits/_/-, starts with a letter, does not end with _ or -. */
const FUNCTION_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,58}[A-Za-z0-9]$/;
/** InvalidParameterValue.NamespaceInvalid: "英文字母、数字、-_ 符号组成，长度30". */
const NAMESPACE = /^[A-Za-z0-9_-]{1,30}$/;
/** Environment variable names as SCF's console accepts them (emulator's rule: a shell-safe name). */
const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** "环境变量大小超限，请保持在 4KB 以内" (InvalidParameterValue.EnvironmentExceededLimit). */
const ENV_MAX_BYTES = 4096;

export function functionName(v: unknown): string {
  const s = reqStr(v, "FunctionName");
  if (!FUNCTION_NAME.test(s))
    fail("InvalidParameter.FunctionName", "FunctionName", `${JSON.stringify(s)} must be 2-60 letters, digits, _ or -, start with a letter and not end with _ or -`);
  return s;
}

export function namespace(v: unknown): string {
  const s = optStr(v, "Namespace") || "default";
  if (!NAMESPACE.test(s)) fail("InvalidParameterValue.NamespaceInvalid", "Namespace", "must be 1-30 letters, digits, _ or -");
  return s;
}

export function runtime(v: unknown): string {
  const s = reqStr(v, "Runtime");
  if (!(SCF_RUNTIMES as readonly string[]).includes(s)) fail("InvalidParameterValue.Runtime", "Runtime", `${s} is not a supported runtime; one of ${SCF_RUNTIMES.join(", ")}`);
  return s;
}

/** 64, or 128..3072 in steps of 128 (MB). */
export function memorySize(v: unknown): number | undefined {
  const n = optInt(v, "MemorySize");
  if (n !== undefined && n !== 64 && !(n >= 128 && n <= 3072 && n % 128 === 0))
    fail("InvalidParameterValue.MemorySize", "MemorySize", `must be 64 or 128-3072 in steps of 128 (got ${n})`);
  return n;
}

/** 1..900 seconds. */
export function timeout(v: unknown): number | undefined {
  return optInt(v, "Timeout", { min: 1, max: 900, belowCode: "InvalidParameterValue", aboveCode: "LimitExceeded.Timeout" });
}

/** SCF's character rule, at most 1000 characters. */
export function description(v: unknown): string | undefined {
  const s = optStr(v, "Description", { max: SCF_DESCRIPTION.max, tooLongCode: "InvalidParameterValue.Description" });
  if (s !== undefined && !SCF_DESCRIPTION.pattern.test(s)) fail("InvalidParameterValue.Description", "Description", `must be ${SCF_DESCRIPTION.rule}`);
  return s;
}

/** "file.function" (Java: package.Class::method, Go: the executable's name): no blanks, at most 128 characters. */
export function handler(v: unknown): string | undefined {
  const s = optStr(v, "Handler", { max: 128, tooLongCode: "InvalidParameterValue.Handler" });
  if (s !== undefined && !/^\S+$/.test(s)) fail("InvalidParameterValue.Handler", "Handler", `${JSON.stringify(s)} must be a non-empty name without blanks`);
  return s;
}

export function functionType(v: unknown): "Event" | "HTTP" {
  const s = optStr(v, "Type") || "Event";
  if (s !== "Event" && s !== "HTTP") fail("InvalidParameterValue.Type", "Type", `must be Event or HTTP (got ${s})`);
  return s;
}

/** Environment.Variables as [{Key, Value}]: names unique, the whole set at most 4 KB. */
export function environment(v: unknown): Array<{ Key: string; Value: string }> | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObj(v)) fail("InvalidParameterValue.Environment", "Environment", "must be an object {Variables: [{Key, Value}]}");
  const vars = optArr(v.Variables, "Environment.Variables") ?? [];
  const out = vars.map((x, i) => variable(x, `Environment.Variables.${i}`));
  const keys = new Set(out.map((x) => x.Key));
  if (keys.size !== out.length) fail("InvalidParameterValue.Environment", "Environment.Variables", "lists a Key twice");
  const bytes = out.reduce((n, x) => n + Buffer.byteLength(x.Key) + Buffer.byteLength(x.Value), 0);
  if (bytes > ENV_MAX_BYTES) fail("InvalidParameterValue.EnvironmentExceededLimit", "Environment", `variables take ${bytes} bytes; at most ${ENV_MAX_BYTES}`);
  return out;
}

function variable(x: unknown, path: string): { Key: string; Value: string } {
  if (!isObj(x)) fail("InvalidParameterValue.Environment", path, "must be {Key, Value}");
  const o: Obj = x;
  const Key = reqStr(o.Key, `${path}.Key`);
  if (!ENV_KEY.test(Key)) fail("InvalidParameterValue.Environment", `${path}.Key`, `${JSON.stringify(Key)} must be letters, digits and _, not starting with a digit`);
  const Value = optStr(o.Value, `${path}.Value`) ?? "";
  return { Key, Value };
}

/** Versions are not modelled: only $LATEST (and the $DEFAULT alias, for triggers) exist. */
export function qualifier(v: unknown, allowed: readonly string[] = ["$LATEST"]): string {
  const s = optStr(v, "Qualifier") || "$LATEST";
  if (!allowed.includes(s)) fail("ResourceNotFound.Version", "Qualifier", `${s} does not exist; the emulator knows ${allowed.join(" and ")} only`);
  return s;
}

/** Tags as [{Key, Value}], keys unique. */
export function tags(v: unknown): Array<{ Key: string; Value: string }> {
  const out = (optArr(v, "Tags") ?? []).map((t, i) => {
    if (!isObj(t)) fail("InvalidParameterValue", `Tags.${i}`, "must be {Key, Value}");
    return { Key: reqStr(t.Key, `Tags.${i}.Key`, { max: 255 }), Value: optStr(t.Value, `Tags.${i}.Value`, { max: 255 }) ?? "" };
  });
  if (new Set(out.map((t) => t.Key)).size !== out.length) fail("InvalidParameterValue", "Tags", "lists a Key twice");
  return out;
}
