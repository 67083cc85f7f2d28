// Guardrails for compute environments, shared by the envs function (scaling requests) and
// node-abnormal (remediation never exceeds maxNodes). One policy document, zod-validated at
// start: a bad policy stops the function with the field that is wrong.
import { readFileSync } from "node:fs";
import * as z from "./zod";
import { parseJsonVar, withoutEmpty } from "./config";
import { AppError } from "./errors";
import { LIMITS } from "./schemas/limits";
import { formatBatchTime } from "./schemas/batch-time";
import { REGION } from "./schemas/region";
import { regionOfZone } from "./schemas/zone";

const SCOPE = z.string().check(z.regex(/^[a-z-]+:(read|write|admin|\*)$/, "a scope looks like envs:write"));
/** A count of an env's nodes: at most Batch's per env. */
const nodeCount = () => z.integer().check(z.gte(0), z.lte(LIMITS.desiredNodesMax));
/** A hold or a cooldown: at most a day. */
const seconds = () => z.integer().check(z.gte(0), z.lte(86_400));

export const EnvRuleSchema = z.strictObject({
  minNodes: nodeCount(),
  maxNodes: nodeCount(),
  /** Cores the env may hold at most (nodes × cores per node). */
  maxCores: z.optional(z.integer().check(z.gte(0))),
  /** Seconds between two scaling actions on one env, read from the env's activities. */
  cooldownSeconds: seconds(),
  /** Whether the envs function may change the desired count at all. */
  allowScaling: z.boolean(),
  /** API-key scopes allowed to scale this env (any one suffices). */
  scaleScopes: z.array(SCOPE).check(z.minLength(1)),
  /** Remediation (node-abnormal) may act on this env. A tag `batch-scf/remediation=off` on the env also opts out. */
  remediation: z.boolean(),
  /**
   * Autoscale (functions/autoscale) sizes this env to its queued work. Absent: off unless the env
   * carries the tag `batch-scf/autoscale=on`. Merged field by field across the default and the
   * overrides. maxNodes, maxCores and allowScaling above still bound it (autoscaleFor).
   */
  autoscale: z.optional(
    z.strictObject({
      /** false turns autoscale off for the envs this rule matches, whatever their tag says. */
      enabled: z.optional(z.boolean()),
      /** Autoscale's floor (default: the rule's minNodes, which it never goes below). 0: down to zero. */
      minNodes: z.optional(nodeCount()),
      /** Autoscale's ceiling (default: the rule's maxNodes, which it never exceeds). */
      maxNodes: z.optional(nodeCount()),
      /** A node is terminated only after this long without a task instance (default 600). */
      scaleDownAfterSeconds: z.optional(seconds()),
      /** At most this many desired nodes not yet running (starting or to be created), so at most this many added per evaluation (default 50). */
      maxStepUp: z.optional(z.integer().check(z.gte(1), z.lte(LIMITS.desiredNodesMax))),
      /** A manual change (the envs API, the console) is left as it is this long (default 900). */
      manualHoldSeconds: z.optional(seconds()),
      /** After a remediation (node-abnormal), no scale-down this long (default 300 = its REMEDIATION_COOLDOWN_SECONDS). */
      remediationHoldSeconds: z.optional(seconds()),
    }),
  ),
});
export type EnvRule = z.infer<typeof EnvRuleSchema>;
export type AutoscaleRule = NonNullable<EnvRule["autoscale"]>;

export const DEFAULT_RULE: EnvRule = {
  minNodes: 0,
  maxNodes: 20,
  cooldownSeconds: 60,
  allowScaling: true,
  scaleScopes: ["envs:write"],
  remediation: true,
};

const OverrideSchema = z
  .strictObject(
    z.extend(z.partial(EnvRuleSchema), {
      /** Exact EnvId, e.g. env-abc12345. */
      envId: z.optional(z.string().check(z.regex(/^env-[a-z0-9]{8}$/, "envId looks like env-xxxxxxxx"))),
      /** Glob on EnvName: `*` matches any run of characters, e.g. `render-*`. */
      envName: z.optional(z.string().check(z.minLength(1), z.maxLength(60))),
      /** The env's region (that of its zone), e.g. ap-shanghai: alone, every env there; with envId or envName, both must match. */
      region: z.optional(z.string().check(z.regex(REGION, "a region such as ap-shanghai"))),
    }).shape,
  )
  .check(
    z.refine((o) => (o.envId && o.envName ? 2 : o.envId || o.envName || o.region ? 1 : 0) === 1, {
      message: "each override names exactly one of envId or envName, or a region (alone or with one of them)",
    }),
  );

export const EnvPolicySchema = z
  .strictObject({
    default: z._default(z.strictObject(z.partial(EnvRuleSchema).shape), {}),
    envs: z._default(z.array(OverrideSchema), []),
  })
  .check(
    z.superRefine((p, ctx) => {
      const issue = (path: Array<string | number>, message: string) => ctx.addIssue({ code: "custom", path, message });
      const base = mergeRule(DEFAULT_RULE, p.default);
      if (base.minNodes > base.maxNodes) issue(["default", "minNodes"], "minNodes must not exceed maxNodes");
      checkAutoscale(base, ["default"], issue);
      p.envs.forEach((o, i) => {
        const r = mergeRule(base, o);
        if (r.minNodes > r.maxNodes) issue(["envs", i, "minNodes"], "minNodes must not exceed maxNodes");
        if (o.autoscale) checkAutoscale(r, ["envs", i], issue);
      });
    }),
  );
export type EnvPolicy = z.infer<typeof EnvPolicySchema>;

/**
 * The rule for one env: the default, then every matching override in order (later wins; `autoscale`
 * field by field). An override's `region` matches the region of the env's zone (`Placement.Zone`;
 * an env given without one matches no region override).
 */
export function ruleFor(policy: EnvPolicy, env: { EnvId: string; EnvName?: string | null; Placement?: { Zone: string } | null }): EnvRule {
  let rule: EnvRule = mergeRule(DEFAULT_RULE, policy.default);
  const region = env.Placement ? regionOfZone(env.Placement.Zone) : undefined;
  for (const o of policy.envs) {
    const hit =
      (!o.region || o.region === region) &&
      (o.envId ? o.envId === env.EnvId : o.envName === undefined || globMatch(o.envName, env.EnvName ?? ""));
    if (hit) rule = mergeRule(rule, o);
  }
  return rule;
}

/** `over` on `rule`: fields it sets win; `autoscale` is merged field by field. */
function mergeRule(rule: EnvRule, over: Partial<EnvRule> & { envId?: string; envName?: string; region?: string }): EnvRule {
  const merged: EnvRule = { ...rule, ...stripMatch(over) };
  if (rule.autoscale && over.autoscale) merged.autoscale = { ...rule.autoscale, ...stripUndefined(over.autoscale) };
  return merged;
}

/** The autoscale fields of a (merged) rule that contradict each other or the rule's bounds. */
function checkAutoscale(r: EnvRule, at: Array<string | number>, issue: (path: Array<string | number>, message: string) => void): void {
  const a = r.autoscale;
  if (!a) return;
  const min = a.minNodes ?? r.minNodes;
  const max = a.maxNodes ?? r.maxNodes;
  if (a.minNodes !== undefined && a.minNodes > max)
    issue([...at, "autoscale", "minNodes"], `autoscale.minNodes must not exceed ${a.maxNodes !== undefined ? "autoscale.maxNodes" : "maxNodes"} (${max})`);
  if (a.maxNodes !== undefined && a.maxNodes < min)
    issue([...at, "autoscale", "maxNodes"], `autoscale.maxNodes must not be below ${a.minNodes !== undefined ? "autoscale.minNodes" : "minNodes"} (${min})`);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function stripMatch(o: Partial<EnvRule> & { envId?: string; envName?: string; region?: string }): Partial<EnvRule> {
  const { envId: _i, envName: _n, region: _r, ...rest } = o;
  return stripUndefined(rest);
}

export function globMatch(pattern: string, name: string): boolean {
  const re = new RegExp(
    `^${pattern
      .split("*")
      .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*")}$`,
  );
  return re.test(name);
}

/**
 * The policy from `ENV_POLICY` (JSON) or `ENV_POLICY_FILE` (a JSON file path), or the defaults.
 * Called once per container; throws AppError `config_invalid` naming the field.
 */
export function loadEnvPolicy(raw: NodeJS.ProcessEnv = process.env): EnvPolicy {
  const env = withoutEmpty(raw);
  if (env.ENV_POLICY && env.ENV_POLICY_FILE)
    throw new AppError("config_invalid", "set ENV_POLICY or ENV_POLICY_FILE, not both", { status: 500, expose: false });
  if (env.ENV_POLICY_FILE) {
    let raw: string;
    try {
      raw = readFileSync(env.ENV_POLICY_FILE, "utf8");
    } catch (e) {
      throw new AppError("config_invalid", `ENV_POLICY_FILE ${env.ENV_POLICY_FILE} cannot be read: ${(e as Error).message}`, {
        status: 500,
        expose: false,
      });
    }
    return parseJsonVar("ENV_POLICY_FILE", raw, EnvPolicySchema);
  }
  return parseJsonVar("ENV_POLICY", env.ENV_POLICY ?? "{}", EnvPolicySchema);
}

/** The tag that opts an env out of automatic remediation. */
export const REMEDIATION_OPT_OUT_TAG = { Key: "batch-scf/remediation", Value: "off" } as const;

// ── autoscale opt-in ──────────────────────────────────────────────────────────────────

/** The tag that opts an env into autoscale with the defaults (`on`), or out of it (`off`). */
export const AUTOSCALE_TAG_KEY = "batch-scf/autoscale";
export const AUTOSCALE_OPT_IN_TAG = { Key: AUTOSCALE_TAG_KEY, Value: "on" } as const;

/** Autoscale's settings where the rule's `autoscale` (or the tag) names none. */
export const AUTOSCALE_DEFAULTS = {
  scaleDownAfterSeconds: 600,
  maxStepUp: 50,
  manualHoldSeconds: 900,
  remediationHoldSeconds: 300,
} as const;

/** What autoscale works with for one env: its own settings within the rule's bounds. */
export interface AutoscaleSettings {
  /** Where the opt-in came from. */
  source: "policy" | "tag";
  /** Never below: the larger of autoscale.minNodes and the rule's minNodes. */
  minNodes: number;
  /** Never above: the smaller of autoscale.maxNodes and the rule's maxNodes. */
  maxNodes: number;
  /** The rule's maxCores (nodes × cores, new nodes at the largest of the env's types). */
  maxCores?: number | undefined;
  /** The rule's allowScaling: false means autoscale decides but changes nothing (action hold). */
  allowScaling: boolean;
  scaleDownAfterSeconds: number;
  maxStepUp: number;
  manualHoldSeconds: number;
  remediationHoldSeconds: number;
}

export type AutoscaleOptIn = { on: true; settings: AutoscaleSettings } | { on: false; why: string };

type Tags = ReadonlyArray<{ Key: string; Value: string }> | null | undefined;

/** The env's `batch-scf/autoscale` tag, trimmed and lower case; undefined without one. */
const autoscaleTag = (tags: Tags): string | undefined => tags?.find((t) => t.Key === AUTOSCALE_TAG_KEY)?.Value.trim().toLowerCase();

/**
 * Where an env's autoscale opt-in comes from, or what keeps it off, in order: the rule's
 * `autoscale.enabled: false` (the operator's word) → off; the tag `batch-scf/autoscale=off` → off;
 * a rule `autoscale` → on with it; the tag `=on` → on with the defaults; else off (not opted in).
 */
function optIn(rule: EnvRule, tag: string | undefined): AutoscaleSettings["source"] | "policyOff" | "tagOff" | "notOptedIn" {
  if (rule.autoscale?.enabled === false) return "policyOff";
  if (tag === "off") return "tagOff";
  if (rule.autoscale) return "policy";
  return tag === "on" ? "tag" : "notOptedIn";
}

/** Whether an env opted into autoscale (autoscaleFor's `on`, for a changer that only stamps it). */
export function isAutoscaled(rule: EnvRule, tags: Tags): boolean {
  const from = optIn(rule, autoscaleTag(tags));
  return from === "policy" || from === "tag";
}

/**
 * Whether an env opted into autoscale (optIn), and its effective settings, from its rule (ruleFor)
 * and its tags. Either way the rule's minNodes, maxNodes, maxCores and allowScaling bound it.
 */
export function autoscaleFor(rule: EnvRule, tags: Tags): AutoscaleOptIn {
  const tag = autoscaleTag(tags);
  const source = optIn(rule, tag);
  if (source === "policyOff") return { on: false, why: "the env policy turns autoscale off for this env (autoscale.enabled: false)" };
  if (source === "tagOff") return { on: false, why: `the env is tagged ${AUTOSCALE_TAG_KEY}=off` };
  if (source === "notOptedIn")
    return {
      on: false,
      why:
        tag === undefined
          ? `not opted in: no autoscale in the env policy's rule and no tag ${AUTOSCALE_TAG_KEY}=on`
          : `not opted in: the tag ${AUTOSCALE_TAG_KEY} is "${tag}", neither on nor off`,
    };
  const own = rule.autoscale ?? {};
  const maxNodes = Math.min(rule.maxNodes, own.maxNodes ?? rule.maxNodes);
  return {
    on: true,
    settings: {
      source,
      minNodes: Math.min(maxNodes, Math.max(rule.minNodes, own.minNodes ?? rule.minNodes)),
      maxNodes,
      maxCores: rule.maxCores,
      allowScaling: rule.allowScaling,
      scaleDownAfterSeconds: own.scaleDownAfterSeconds ?? AUTOSCALE_DEFAULTS.scaleDownAfterSeconds,
      maxStepUp: own.maxStepUp ?? AUTOSCALE_DEFAULTS.maxStepUp,
      manualHoldSeconds: own.manualHoldSeconds ?? AUTOSCALE_DEFAULTS.manualHoldSeconds,
      remediationHoldSeconds: own.remediationHoldSeconds ?? AUTOSCALE_DEFAULTS.remediationHoldSeconds,
    },
  };
}

// ── who changed an env last ───────────────────────────────────────────────────────────

/**
 * The stamp each changer of an env's size leaves on the env (`<by>@<ISO time>`, e.g.
 * `manual@2026-03-02T12:00:00Z`), so autoscale can tell whose change it would undo: Batch's
 * activities say when nodes came and went, never on whose behalf. Written by the envs API
 * (manual), autoscale and node-abnormal (remediation); read by autoscale.
 *
 * Where: at the end of the env's `EnvDescription`, as ` [batch-scf/last-change=<stamp>]`. The
 * description is the one field of an env that ModifyComputeEnv can change besides its size and
 * name (it cannot change tags: Tencent's tag service can, but that needs the account UIN, a
 * resource name format Batch does not document, and another service's permissions), and
 * DescribeComputeEnvCreateInfo, which autoscale reads anyway for the instance types, returns it.
 * So a scale-up writes the stamp in the same ModifyComputeEnv call as the count; a
 * TerminateComputeNodes is preceded by one ModifyComputeEnv of the description. The person's
 * own description is kept; only the marker is replaced (cut from the end of the person's text
 * when both would pass Batch's limit, LIMITS.envDescription).
 */
export const LAST_CHANGE_MARKER = "batch-scf/last-change";
export const CHANGE_AUTHORS = ["manual", "autoscale", "remediation"] as const;
export type ChangeAuthor = (typeof CHANGE_AUTHORS)[number];
export interface ChangeStamp {
  by: ChangeAuthor;
  /** Milliseconds since the epoch. */
  at: number;
}

export const formatChangeStamp = (s: ChangeStamp): string => `${s.by}@${formatBatchTime(s.at)}`;

const MARKER = /\s*\[batch-scf\/last-change=([^\]]*)\]\s*$/;

/** The description without the stamp marker: what the person wrote. */
export const descriptionText = (description: string | null | undefined): string => (description ?? "").replace(MARKER, "");

/** `description` with its stamp set to `stamp` (the person's text kept, cut at its end if both would be too long). */
export function stampDescription(description: string | null | undefined, stamp: ChangeStamp): string {
  const marker = ` [${LAST_CHANGE_MARKER}=${formatChangeStamp(stamp)}]`;
  const text = descriptionText(description);
  const room = LIMITS.envDescription - marker.length;
  return `${text.length > room ? text.slice(0, Math.max(0, room)) : text}${marker}`.trimStart();
}

/** The stamp in an env's description; undefined when absent or malformed (then only the activities speak). */
export function parseChangeStamp(description: string | null | undefined): ChangeStamp | undefined {
  const v = MARKER.exec(description ?? "")?.[1];
  const m = v ? /^([a-z]+)@(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z)$/.exec(v.trim()) : null;
  if (!m || !(CHANGE_AUTHORS as readonly string[]).includes(m[1]!)) return undefined;
  const at = Date.parse(m[2]!);
  return Number.isNaN(at) ? undefined : { by: m[1] as ChangeAuthor, at };
}
