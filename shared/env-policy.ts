// Guardrails for compute environments, shared by the envs function (scaling requests) and
// node-abnormal (remediation never exceeds maxNodes). One policy document, zod-validated at
// start: a bad policy stops the function with the field that is wrong.
import { readFileSync } from "node:fs";
import * as z from "./zod";
import { parseJsonVar, withoutEmpty } from "./config";
import { AppError } from "./errors";

const SCOPE = z.string().check(z.regex(/^[a-z-]+:(read|write|admin|\*)$/, "a scope looks like envs:write"));

export const EnvRuleSchema = z.strictObject({
  minNodes: z.integer().check(z.gte(0), z.lte(2000)),
  maxNodes: z.integer().check(z.gte(0), z.lte(2000)),
  /** Cores the env may hold at most (nodes × cores per node). */
  maxCores: z.optional(z.integer().check(z.gte(0))),
  /** Seconds between two scaling actions on one env, read from the env's activities. */
  cooldownSeconds: z.integer().check(z.gte(0), z.lte(86_400)),
  /** Whether the envs function may change the desired count at all. */
  allowScaling: z.boolean(),
  /** API-key scopes allowed to scale this env (any one suffices). */
  scaleScopes: z.array(SCOPE).check(z.minLength(1)),
  /** Remediation (node-abnormal) may act on this env. A tag `batch-scf/remediation=off` on the env also opts out. */
  remediation: z.boolean(),
});
export type EnvRule = z.infer<typeof EnvRuleSchema>;

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
    }).shape,
  )
  .check(
    z.refine((o) => (o.envId ? 1 : 0) + (o.envName ? 1 : 0) === 1, {
      message: "each override names exactly one of envId or envName",
    }),
  );

export const EnvPolicySchema = z
  .strictObject({
    default: z._default(z.strictObject(z.partial(EnvRuleSchema).shape), {}),
    envs: z._default(z.array(OverrideSchema), []),
  })
  .check(
    z.superRefine((p, ctx) => {
      const base = { ...DEFAULT_RULE, ...p.default };
      if (base.minNodes > base.maxNodes) ctx.addIssue({ code: "custom", path: ["default", "minNodes"], message: "minNodes must not exceed maxNodes" });
      p.envs.forEach((o, i) => {
        const r = { ...base, ...o };
        if (r.minNodes > r.maxNodes) ctx.addIssue({ code: "custom", path: ["envs", i, "minNodes"], message: "minNodes must not exceed maxNodes" });
      });
    }),
  );
export type EnvPolicy = z.infer<typeof EnvPolicySchema>;

/** The rule for one env: the default, then every matching override in order (later wins). */
export function ruleFor(policy: EnvPolicy, env: { EnvId: string; EnvName?: string | null }): EnvRule {
  let rule: EnvRule = { ...DEFAULT_RULE, ...stripMatch(policy.default) };
  for (const o of policy.envs) {
    const hit = o.envId ? o.envId === env.EnvId : globMatch(o.envName ?? "", env.EnvName ?? "");
    if (hit) rule = { ...rule, ...stripMatch(o) };
  }
  return rule;
}

function stripMatch(o: Partial<EnvRule> & { envId?: string; envName?: string }): Partial<EnvRule> {
  const { envId: _i, envName: _n, ...rest } = o;
  return Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) as Partial<EnvRule>;
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
