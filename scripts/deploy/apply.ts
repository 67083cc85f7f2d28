// Reads the account for a plan, and carries a plan out in order: every write to a function waits
// for it to be Active again (SCF refuses a change while another is in progress), so an
// interrupted deploy leaves the account in a state the next run reads and converges from.
import { readFileSync } from "node:fs";
import type { Cloud } from "./cloud";
import { type Actual, type ActualFunction, type Desired, DeployError, isOwned, regionsServedBy, subscriptionKey, topicKey } from "./model";
import { type Change, functionUrl, maskEndpoint, pushEndpoint } from "./plan";

export async function readActual(cloud: Cloud, desired: Desired): Promise<Actual> {
  const functions = new Map<string, ActualFunction>();
  const unowned: string[] = [];
  for (const fn of desired.functions) {
    const f = await cloud.getFunction(fn.name);
    if (!f) continue;
    functions.set(fn.name, f);
    if (!isOwned(f, desired)) unowned.push(fn.name);
  }
  // Functions this file created once (tagged with its service and stage) and no longer names.
  // Anything else in the account, even under the same name prefix, is never touched.
  const named = new Set(desired.functions.map((f) => f.name));
  const orphans: ActualFunction[] = [];
  for (const name of await cloud.listFunctions(`${desired.owner}-`)) {
    if (named.has(name)) continue;
    const f = await cloud.getFunction(name);
    if (f && isOwned(f, desired)) orphans.push(f);
  }
  // Subscriptions are named after their function: on every topic the file names (enabled or
  // not), those of this file's functions and orphans are this deploy's to keep or delete, in every
  // served region and in every region the deployed functions served until now (their BATCH_REGIONS),
  // so that a region no longer served loses them (plan.ts says when that is safe).
  const ours = new Set([...named, ...orphans.map((o) => o.name)]);
  const regions = new Set(desired.eventRegions);
  for (const f of [...functions.values(), ...orphans]) for (const r of regionsServedBy(f, desired.region)) regions.add(r);
  const topics = new Map<string, boolean>();
  const subscriptions: Actual["subscriptions"] = new Map();
  for (const region of regions) {
    for (const topic of desired.topics) {
      const exists = await cloud.topicExists(region, topic);
      topics.set(topicKey(region, topic), exists);
      if (!exists) continue;
      for (const s of await cloud.listSubscriptions(region, topic)) if (ours.has(s.name)) subscriptions.set(subscriptionKey(region, topic, s.name), s);
    }
  }
  return { functions, topics, subscriptions, orphans, unowned };
}

/** One line per change, as `--plan` prints it and the apply announces it. Never a secret. */
export function describe(c: Change): string {
  switch (c.kind) {
    case "create-function": {
      const s = c.settings;
      return `+ create function ${c.fn.name} (${s.Runtime}, ${s.MemorySize} MB, ${s.Timeout} s, ${c.fn.code.shown} ${(c.fn.code.bytes / 1024).toFixed(1)} KB sha256 ${c.fn.code.sha256.slice(0, 12)}, env ${Object.keys(s.Environment).sort().join(" ") || "none"})`;
    }
    case "update-code":
      return `~ update code ${c.fn.name} (${c.reason}: ${c.fn.code.shown} sha256 ${c.fn.code.sha256.slice(0, 12)})`;
    case "update-config":
      return `~ update config ${c.fn.name}: ${c.fields.join(", ")}`;
    case "add-trigger":
      return c.trigger.Type === "timer"
        ? `+ add trigger ${c.function} timer ${c.trigger.TriggerName} "${c.trigger.TriggerDesc}"${c.trigger.CustomArgument ? ` argument ${JSON.stringify(c.trigger.CustomArgument)}` : ""}${c.trigger.Enable ? "" : " (disabled)"}`
        : `+ add trigger ${c.function} Function URL (http, public; the function authenticates every request itself)`;
    case "delete-trigger":
      return `- delete trigger ${c.function} ${c.trigger.Type} ${c.trigger.TriggerName} (${c.reason})`;
    case "create-topic":
      return `+ create CMQ topic ${c.topic} in ${c.region} (TDMQ for CMQ; Batch publishes to it by name)`;
    case "add-subscription":
      return `+ add subscription ${c.subscription.name} on topic ${c.subscription.topic} in ${c.region} → ${c.function}'s Function URL /cmq/*** (http push, JSON)`;
    case "delete-subscription":
      return `- delete subscription ${c.subscription.name} on topic ${c.subscription.topic} in ${c.subscription.region} → ${maskEndpoint(c.subscription.endpoint)} (${c.reason})`;
    case "delete-function":
      return `- delete function ${c.function} (${c.reason})`;
  }
}

/** Before a change: wait out a change in progress; a past failure is what this change repairs. */
const READY = { failedOk: true } as const;

export interface ApplyOptions {
  /** Tags a created function carries (ownerTags). */
  tags: Record<string, string>;
  print(line: string): void;
}

export async function applyPlan(cloud: Cloud, changes: readonly Change[], opts: ApplyOptions): Promise<void> {
  const zips = new Map<string, Buffer>();
  const zip = (path: string) => zips.get(path) ?? zips.set(path, readFileSync(path)).get(path)!;
  for (const c of changes) {
    opts.print(describe(c));
    switch (c.kind) {
      case "create-function":
        await cloud.createFunction(c.fn.name, c.settings, zip(c.fn.code.path), opts.tags);
        await cloud.settle(c.fn.name);
        break;
      case "update-code":
        await cloud.settle(c.fn.name, READY);
        await cloud.updateCode(c.fn.name, c.fn.settings.Handler, zip(c.fn.code.path));
        await cloud.settle(c.fn.name);
        break;
      case "update-config":
        await cloud.settle(c.fn.name, READY);
        await cloud.updateConfig(c.fn.name, c.settings);
        await cloud.settle(c.fn.name);
        break;
      case "delete-trigger":
        await cloud.settle(c.function, READY);
        await cloud.deleteTrigger(c.function, c.trigger);
        break;
      case "add-trigger":
        await cloud.settle(c.function, READY);
        await cloud.createTrigger(c.function, c.trigger);
        break;
      case "create-topic":
        await cloud.createTopic(c.region, c.topic);
        break;
      case "delete-subscription":
        await cloud.deleteSubscription(c.subscription.region, c.subscription.topic, c.subscription.name);
        break;
      case "add-subscription":
        await subscribe(cloud, c, opts);
        break;
      case "delete-function":
        await cloud.settle(c.function, READY);
        await cloud.deleteFunction(c.function);
        break;
    }
  }
}

/**
 * TDMQ's model says an http endpoint "must start with http://", while a Function URL is only
 * documented as https://. Ask for https:// (the token stays off the wire); if TDMQ refuses it,
 * fall back to http:// and say so: a forged push without the token is refused at no cost, and one
 * with it can only cause reads (node-abnormal re-reads Batch and bounds the envs per push).
 */
async function subscribe(cloud: Cloud, c: Extract<Change, { kind: "add-subscription" }>, opts: ApplyOptions): Promise<void> {
  const fn = await cloud.settle(c.function);
  const url = functionUrl(fn);
  if (!url) throw new DeployError(`${c.function} has no Function URL to subscribe to topic ${c.subscription.topic}`);
  try {
    await cloud.createSubscription(c.region, c.subscription.topic, c.subscription.name, pushEndpoint(url, c.token, "https"));
  } catch (e) {
    // Only a refusal of the endpoint itself (its code or message names it) is a reason to try http://.
    const err = e as { code?: string; message?: string };
    if (!/^InvalidParameter/.test(err.code ?? "") || !/endpoint/i.test(`${err.code} ${err.message ?? ""}`)) throw e;
    opts.print(`  TDMQ refused an https:// endpoint in ${c.region} (${(e as { code?: string }).code}); subscribing over http:// (the push token then crosses the network in clear)`);
    await cloud.createSubscription(c.region, c.subscription.topic, c.subscription.name, pushEndpoint(url, c.token, "http"));
  }
}
