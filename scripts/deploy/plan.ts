// The deploy's decision core: what serverless.yml wants against what the account has → the exact
// changes, in the order they must be made. Pure: no SDK, no clock, no randomness (a new push
// token is passed in), so `--plan` and the apply print the same thing.
import {
  type Actual,
  type ActualFunction,
  type ActualSubscription,
  type ActualTrigger,
  type Desired,
  type DesiredFunction,
  cronOf,
  DeployError,
  type FunctionSettings,
  isOwned,
  PUSH_TOKEN_VAR,
  type SubscriptionSpec,
  sameCode,
  subscriptionKey,
  topicKey,
  type TriggerSpec,
  URL_TRIGGER_DESC,
} from "./model";

export type Change =
  | { kind: "create-function"; fn: DesiredFunction; settings: FunctionSettings }
  | { kind: "update-code"; fn: DesiredFunction; reason: string }
  | { kind: "update-config"; fn: DesiredFunction; settings: FunctionSettings; fields: string[] }
  | { kind: "delete-trigger"; function: string; trigger: ActualTrigger; reason: string }
  | { kind: "add-trigger"; function: string; trigger: TriggerSpec }
  | { kind: "create-topic"; region: string; topic: string }
  | { kind: "delete-subscription"; subscription: ActualSubscription; reason: string }
  | { kind: "add-subscription"; region: string; function: string; subscription: SubscriptionSpec; token: string }
  | { kind: "delete-function"; function: string; reason: string };

export interface Plan {
  changes: Change[];
  /** Functions of the file that need nothing. */
  unchanged: string[];
  /** Said once, not a change (e.g. a URL that a replaced trigger will change). */
  notes: string[];
}

/** Runtime is not among them: SCF sets it at creation only ("创建时指定，目前不支持修改"). */
const FIELDS = ["MemorySize", "Timeout", "Role", "Description", "Environment"] as const;

export interface PlanOptions {
  /** A new push token: one per function that receives pushes and has none yet (a string: the same for all). */
  newToken: string | ((fn: string) => string);
  /** Manage functions the file names that this deploy did not create (no owner tags). */
  adopt?: boolean;
}

export function planDeploy(desired: Desired, actual: Actual, opts: PlanOptions): Plan {
  if (actual.unowned.length > 0 && !opts.adopt) {
    throw new DeployError(
      `${actual.unowned.join(", ")} exist${actual.unowned.length === 1 ? "s" : ""} but ${actual.unowned.length === 1 ? "was" : "were"} not created by this deploy (no batch-scf-service/batch-scf-stage tags): ` +
        "deploying would change their code, settings and triggers (legacy API Gateway triggers cannot be created again). Delete them, or re-run with --adopt to manage them from this file",
    );
  }
  const plan: Plan = { changes: [], unchanged: [], notes: [] };
  const subs: Change[] = [];
  const wantedSubs = new Set(desired.eventRegions.flatMap((r) => desired.functions.flatMap((f) => f.subscriptions.map((s) => subscriptionKey(r, s.topic, s.name)))));
  for (const fn of desired.functions) {
    const have = actual.functions.get(fn.name);
    if (have?.settings.Runtime && have.settings.Runtime !== fn.settings.Runtime) {
      throw new DeployError(`${fn.name} runs ${have.settings.Runtime}; SCF cannot change a function's runtime to ${fn.settings.Runtime}: delete the function first (npm run deploy -- --remove)`);
    }
    const token = fn.needsPushToken
      ? have?.settings.Environment[PUSH_TOKEN_VAR] || (typeof opts.newToken === "string" ? opts.newToken : opts.newToken(fn.name))
      : undefined;
    const settings: FunctionSettings = token ? { ...fn.settings, Environment: { ...fn.settings.Environment, [PUSH_TOKEN_VAR]: token } } : fn.settings;
    const before = plan.changes.length + subs.length;
    if (!have) {
      plan.changes.push({ kind: "create-function", fn, settings });
      for (const t of fn.triggers) plan.changes.push({ kind: "add-trigger", function: fn.name, trigger: t });
    } else if (/Failed$/.test(have.status)) {
      // What a failed create or update left behind is unknown: apply the code and every setting again.
      plan.changes.push({ kind: "update-code", fn, reason: `${have.status}: applied again` });
      plan.changes.push({ kind: "update-config", fn, settings, fields: [`all settings (${have.status})`] });
      planTriggers(fn, have, plan);
    } else {
      if (!sameCode(have.codeSha256, fn.code.sha256)) plan.changes.push({ kind: "update-code", fn, reason: "code changed" });
      else if (have.settings.Handler !== fn.settings.Handler) plan.changes.push({ kind: "update-code", fn, reason: `handler ${have.settings.Handler} → ${fn.settings.Handler}` });
      const fields = changedFields(have.settings, settings);
      if (fields.length > 0) plan.changes.push({ kind: "update-config", fn, settings, fields });
      planTriggers(fn, have, plan);
    }
    const url = have && !replacesUrl(fn, have) ? functionUrl(have) : undefined;
    // The same topics and subscriptions in every served region, all pushing to the one function URL.
    for (const region of desired.eventRegions) {
      for (const s of fn.subscriptions) {
        if (!actual.topics.get(topicKey(region, s.topic)) && !plan.changes.some((c) => c.kind === "create-topic" && c.region === region && c.topic === s.topic)) {
          plan.changes.push({ kind: "create-topic", region, topic: s.topic });
        }
        const existing = actual.subscriptions.get(subscriptionKey(region, s.topic, s.name));
        if (existing && url && token && sameEndpoint(existing.endpoint, pushEndpoint(url, token)) && same(existing.protocol, "http") && same(existing.format, "JSON")) continue;
        if (existing) subs.push({ kind: "delete-subscription", subscription: existing, reason: "endpoint or format changed" });
        subs.push({ kind: "add-subscription", region, function: fn.name, subscription: s, token: token as string });
      }
    }
    if (plan.changes.length + subs.length === before) plan.unchanged.push(fn.name);
  }
  // Subscriptions of this file's functions that the file no longer wants (a disabled or removed
  // cmq event, a removed function): TDMQ would push to a 403 or a dead URL for a day per message.
  // They go first, before the token that would let their pushes in is taken away (and before the
  // BATCH_REGIONS that names a region no longer served leaves the functions' environment).
  const unwanted: Change[] = [];
  for (const [key, s] of actual.subscriptions) {
    if (wantedSubs.has(key)) continue;
    const reason = desired.eventRegions.includes(s.region) ? "no longer in the file" : `${s.region} no longer served (BATCH_REGIONS)`;
    if (mayDelete(s, desired, actual, plan)) unwanted.push({ kind: "delete-subscription", subscription: s, reason });
  }
  plan.changes.unshift(...unwanted);
  plan.changes.push(...subs);
  for (const o of actual.orphans) plan.changes.push({ kind: "delete-function", function: o.name, reason: `no longer in ${desired.file.split("/").pop()}` });
  return plan;
}

/**
 * `--remove`: the subscriptions of the file's functions, then the functions this deploy created
 * (their triggers go with them). A function without the owner tags is left alone unless adopted.
 */
export function planRemove(desired: Desired, actual: Actual, opts: { adopt?: boolean } = {}): Plan {
  const plan: Plan = { changes: [], unchanged: [], notes: [] };
  const names = new Set(desired.functions.map((f) => f.name));
  for (const s of actual.subscriptions.values()) {
    if (names.has(s.name) && mayDelete(s, desired, actual, plan)) plan.changes.push({ kind: "delete-subscription", subscription: s, reason: "--remove" });
  }
  for (const fn of desired.functions) {
    const have = actual.functions.get(fn.name);
    if (!have) continue;
    if (!opts.adopt && !isOwned(have, desired)) {
      plan.notes.push(`${fn.name} was not created by this deploy (no owner tags): left alone (--adopt to remove it too)`);
      continue;
    }
    for (const t of have.triggers) plan.changes.push({ kind: "delete-trigger", function: fn.name, trigger: t, reason: "--remove" });
    plan.changes.push({ kind: "delete-function", function: fn.name, reason: "--remove" });
  }
  return plan;
}

/**
 * A subscription named after one of the file's functions, in a served region, is this deploy's (the
 * rule has always been the name). In a region no longer served another deployment of the same
 * service and stage, whose functions are in that region, may hold the same name: there it is this
 * deploy's only when it pushes to a Function URL of this file's functions; otherwise it is left
 * alone and the plan says so.
 */
function mayDelete(s: ActualSubscription, desired: Desired, actual: Actual, plan: Plan): boolean {
  if (desired.eventRegions.includes(s.region)) return true;
  const endpoint = s.endpoint.replace(/^https?:\/\//, "");
  const urls = [...actual.functions.values(), ...actual.orphans].flatMap((f) => functionUrl(f) ?? []);
  if (urls.some((u) => endpoint.startsWith(`${u.replace(/^https?:\/\//, "")}/cmq/`))) return true;
  plan.notes.push(
    `subscription ${s.name} on topic ${s.topic} in ${s.region} (no longer served) pushes to ${maskEndpoint(s.endpoint)}, not to a Function URL of this file's functions: left alone (delete it by hand if it is this deploy's)`,
  );
  return false;
}

function planTriggers(fn: DesiredFunction, have: ActualFunction, plan: Plan): void {
  const adds: Change[] = [];
  for (const t of have.triggers) {
    const want = fn.triggers.find((w) => w.Type === t.Type && (w.Type === "http" || w.TriggerName === t.TriggerName));
    if (!want) {
      const legacy = t.Type === "apigw" || t.Type === "cmq" ? " (SCF can no longer create this type: it cannot come back)" : "";
      plan.changes.push({ kind: "delete-trigger", function: fn.name, trigger: t, reason: `not in the file${legacy}` });
    } else if (!sameTrigger(want, t)) {
      plan.changes.push({ kind: "delete-trigger", function: fn.name, trigger: t, reason: "changed" });
      adds.push({ kind: "add-trigger", function: fn.name, trigger: want });
      if (t.Type === "http") plan.notes.push(`${fn.name}: its Function URL is replaced, so its URL changes; point its callers at the new one printed below`);
    }
  }
  for (const w of fn.triggers) {
    if (!have.triggers.some((t) => t.Type === w.Type && (w.Type === "http" || w.TriggerName === t.TriggerName))) adds.push({ kind: "add-trigger", function: fn.name, trigger: w });
  }
  plan.changes.push(...adds);
}

function sameTrigger(want: TriggerSpec, have: ActualTrigger): boolean {
  if (want.Type === "http") {
    // Only what the answer says and differs counts: a field SCF leaves out never replaces the URL.
    const d = parseDesc(have.TriggerDesc) ?? {};
    const net = (d.NetConfig ?? {}) as Record<string, unknown>;
    return (d.AuthType ?? URL_TRIGGER_DESC.AuthType) === URL_TRIGGER_DESC.AuthType && (net.EnableExtranet ?? true) === true && (net.EnableIntranet ?? false) === false;
  }
  return cronOf(want.TriggerDesc) === cronOf(have.TriggerDesc) && want.CustomArgument === have.CustomArgument && want.Enable === have.Enable;
}

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** Changes that cannot be undone by running the deploy again: said before they are made. */
export function irreversible(plan: Plan): string[] {
  const out: string[] = [];
  for (const c of plan.changes) {
    if (c.kind === "delete-function") out.push(`delete function ${c.function}`);
    else if (c.kind === "delete-trigger" && (c.trigger.Type === "apigw" || c.trigger.Type === "cmq")) out.push(`delete the ${c.trigger.Type} trigger ${c.trigger.TriggerName} of ${c.function}`);
    else if (c.kind === "delete-trigger" && c.trigger.Type === "http" && c.reason === "changed") out.push(`replace the Function URL of ${c.function} (its URL changes)`);
  }
  return out;
}

function replacesUrl(fn: DesiredFunction, have: ActualFunction): boolean {
  const t = have.triggers.find((x) => x.Type === "http");
  const want = fn.triggers.find((x) => x.Type === "http");
  return !t || !want || !sameTrigger(want, t);
}

function changedFields(have: FunctionSettings, want: FunctionSettings): string[] {
  const out: string[] = [];
  for (const f of FIELDS) {
    if (f === "Environment") {
      const diff = envDiff(have.Environment, want.Environment);
      if (diff) out.push(`Environment (${diff})`);
    } else if (f === "Role") {
      if (want.Role !== undefined && !sameRole(have.Role, want.Role)) out.push(`Role ${have.Role ?? "(none)"} → ${want.Role}`);
    } else if (have[f] !== want[f]) {
      out.push(f === "Description" ? "Description" : `${f} ${have[f]} → ${want[f]}`);
    }
  }
  return out;
}

/** Names only, never values: a value may be a secret (API_KEYS, the push token). */
function envDiff(have: Record<string, string>, want: Record<string, string>): string {
  const parts: string[] = [];
  for (const k of Object.keys(want).sort()) {
    if (!(k in have)) parts.push(`+${k}`);
    else if (have[k] !== want[k]) parts.push(`~${k}`);
  }
  for (const k of Object.keys(have).sort()) if (!(k in want)) parts.push(`-${k}`);
  return parts.join(" ");
}

/** GetFunction may answer the role's name or its full `qcs::cam::…:roleName/<name>` form. */
function sameRole(have: string | undefined, want: string): boolean {
  return have === want || (!!have && have.endsWith(`/${want}`));
}

function parseDesc(desc: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(desc) as unknown;
    return v && typeof v === "object" ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The public URL of a function's URL trigger (`NetConfig.ExtranetUrl` of its TriggerDesc). */
export function functionUrl(fn: Pick<ActualFunction, "triggers">): string | undefined {
  const t = fn.triggers.find((x) => x.Type === "http");
  const url = t ? (parseDesc(t.TriggerDesc)?.NetConfig as Record<string, unknown> | undefined)?.ExtranetUrl : undefined;
  return typeof url === "string" && url ? url.replace(/\/+$/, "") : undefined;
}

/** Where a topic pushes: the function's URL, path `/cmq/<token>` (node-abnormal checks the token). */
export function pushEndpoint(url: string, token: string, scheme: "https" | "http" = "https"): string {
  return `${url.replace(/^https?:\/\//, `${scheme}://`)}/cmq/${token}`;
}

/** TDMQ documents http:// endpoints only: the deploy may have fallen back to http://, which is the same endpoint. */
function sameEndpoint(a: string, b: string): boolean {
  return a.replace(/^https?:\/\//, "") === b.replace(/^https?:\/\//, "");
}

/** The endpoint as printed: the token never is. */
export function maskEndpoint(endpoint: string): string {
  return endpoint.replace(/\/cmq\/[^/?#]+/, "/cmq/***");
}
