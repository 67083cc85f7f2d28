// TDMQ CMQ request fields and their rules (tdmq_models.d.ts v20200217; codes from the SDK's
// tdmq errors list: InvalidParameterValue.InvalidParams "参数值不在允许范围内").
import { fail, isObj, optArr, optStr, reqStr } from "../validate";

const BAD = "InvalidParameterValue.InvalidParams";
/** Topic and subscription names: a letter, then letters, digits, - or _, at most 64 characters. */
const NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
export const NOTIFY_STRATEGIES = ["BACKOFF_RETRY", "EXPONENTIAL_DECAY_RETRY"] as const;
export const CONTENT_FORMATS = ["JSON", "SIMPLIFIED"] as const;

export function cmqName(v: unknown, path: string): string {
  const s = reqStr(v, path);
  if (!NAME.test(s)) fail(BAD, path, `${JSON.stringify(s)} must start with a letter and hold at most 64 letters, digits, - or _`);
  return s;
}

export function protocol(v: unknown): "http" | "queue" {
  const s = reqStr(v, "Protocol").toLowerCase();
  if (s !== "http" && s !== "queue") fail(BAD, "Protocol", "must be http or queue");
  return s;
}

/**
 * http: the docs say the Endpoint "必须以 http:// 开头"; the emulator also takes https:// (SCF
 * function URLs are https) — whether TDMQ accepts https is unverified. queue: a queue name.
 * The legacy CMQ docs cap an endpoint at 500 characters.
 */
export function endpoint(v: unknown, proto: "http" | "queue"): string {
  const s = reqStr(v, "Endpoint", { max: 500, tooLongCode: BAD });
  if (proto === "http" && !/^https?:\/\/[^\s/]+/.test(s)) fail(BAD, "Endpoint", "an http subscription's Endpoint must start with http:// (or https://) and name a host");
  if (proto === "queue") cmqName(s, "Endpoint");
  return s;
}

export function notifyStrategy(v: unknown): string | undefined {
  return optStr(v, "NotifyStrategy", { oneOf: NOTIFY_STRATEGIES }) || undefined;
}

/** A queue subscription's format must be SIMPLIFIED (the model says so). */
export function contentFormat(v: unknown, proto: "http" | "queue"): string | undefined {
  const s = optStr(v, "NotifyContentFormat", { oneOf: CONTENT_FORMATS }) || undefined;
  if (proto === "queue" && s === "JSON") fail(BAD, "NotifyContentFormat", "must be SIMPLIFIED for a queue subscription");
  return s;
}

/** At most 5 tags of at most 16 characters. */
export function filterTags(v: unknown, path: string): string[] | undefined {
  return optArr(v, path, 5, BAD)?.map((t, i) => reqStr(t, `${path}.${i}`, { max: 16, tooLongCode: BAD }));
}

/** At most 5 keys of at most 64 bytes and 15 dots each. */
export function bindingKeys(v: unknown): string[] | undefined {
  return optArr(v, "BindingKey", 5, BAD)?.map((k, i) => {
    const s = reqStr(k, `BindingKey.${i}`);
    if (Buffer.byteLength(s) > 64 || s.split(".").length > 16) fail(BAD, `BindingKey.${i}`, "must be at most 64 bytes with at most 15 dots");
    return s;
  });
}

export function tags(v: unknown): Array<{ TagKey: string; TagValue: string }> {
  return (optArr(v, "Tags") ?? []).map((t, i) => {
    if (!isObj(t)) fail(BAD, `Tags.${i}`, "must be {TagKey, TagValue}");
    return { TagKey: reqStr(t.TagKey, `Tags.${i}.TagKey`), TagValue: optStr(t.TagValue, `Tags.${i}.TagValue`) ?? "" };
  });
}
