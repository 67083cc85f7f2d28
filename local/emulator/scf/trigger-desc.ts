// CreateTrigger's Type and TriggerDesc: which types can still be created, the cron of a timer,
// the JSON of an http trigger (a function URL) and the ExtranetUrl SCF adds to it.
import { createHash } from "node:crypto";
import { CronError, parseCron } from "../../stack/cron";
import { fail, isObj } from "../validate";

/** CreateTriggerRequest.Type: "目前支持 cos 、cls 、 timer、 ckafka、http类型". */
export const CREATABLE_TYPES = ["cos", "cls", "timer", "ckafka", "http"] as const;
/** DeleteTriggerRequest.Type also names the legacy apigw and cmq triggers. */
export const DELETABLE_TYPES = [...CREATABLE_TYPES, "apigw", "cmq"] as const;

/** Where SCF serves function URLs; the AppId is the emulator's fixed stand-in. */
const URL_APPID = "1250000000";
const ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

export function creatableType(type: string): void {
  if (type === "apigw" || type === "cmq")
    fail("InvalidParameterValue.Type", "Type", `${type} triggers can no longer be created; use ${type === "apigw" ? "an http trigger (function URL)" : "a CMQ/TDMQ subscription with an http endpoint"}`);
  if (!(CREATABLE_TYPES as readonly string[]).includes(type)) fail("InvalidParameterValue.Type", "Type", `must be one of ${CREATABLE_TYPES.join(", ")} (got ${type})`);
}

/**
 * The stored TriggerDesc: for a timer, the cron wrapped as SCF answers it (`{"cron":"…"}`: it takes
 * the bare cron and gives back JSON, per Tencent's own tencent-component-toolkit, triggers/timer.ts);
 * the http JSON with its URL added; others as given.
 */
export function triggerDesc(type: string, desc: string, fnKey: string, region: string): string {
  if (type === "timer") return timerDesc(desc);
  if (type === "http") return httpDesc(desc, fnKey, region);
  return desc;
}

function timerDesc(desc: string): string {
  try {
    parseCron(desc);
  } catch (e) {
    if (e instanceof CronError) fail("InvalidParameterValue.TriggerDesc", "TriggerDesc", `is not a valid timer cron: ${e.message}`);
    throw e;
  }
  return JSON.stringify({ cron: desc });
}

function httpDesc(desc: string, fnKey: string, region: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(desc);
  } catch {
    fail("InvalidParameterValue.TriggerDesc", "TriggerDesc", 'must be JSON like {"AuthType":"NONE","NetConfig":{"EnableIntranet":false,"EnableExtranet":true}}');
  }
  if (!isObj(parsed)) fail("InvalidParameterValue.TriggerDesc", "TriggerDesc", "must be a JSON object");
  if (parsed.AuthType !== "NONE" && parsed.AuthType !== "CAM") fail("InvalidParameterValue.TriggerDesc", "TriggerDesc.AuthType", "must be NONE or CAM");
  const net = parsed.NetConfig;
  if (!isObj(net) || typeof net.EnableIntranet !== "boolean" || typeof net.EnableExtranet !== "boolean")
    fail("InvalidParameterValue.TriggerDesc", "TriggerDesc.NetConfig", "must be {EnableIntranet: boolean, EnableExtranet: boolean}");
  const netConfig = net.EnableExtranet ? { ...net, ExtranetUrl: functionUrl(fnKey, region) } : net;
  return JSON.stringify({ ...parsed, NetConfig: netConfig });
}

/** `https://<appid>-<10 lowercase alnum>.<region>.tencentscf.com`, derived from the function so it is stable. */
export function functionUrl(fnKey: string, region: string): string {
  const digest = createHash("sha256").update(fnKey).digest();
  let id = "";
  for (const b of digest.subarray(0, 10)) id += ALPHABET[b % ALPHABET.length];
  return `https://${URL_APPID}-${id}.${region}.tencentscf.com`;
}
