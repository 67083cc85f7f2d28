// The remediation knobs, parsed once per container from environment variables. They are
// the function's own (not in the env policy): the env policy says whether an env may be
// remediated and its maxNodes; these say how carefully.
import * as z from "../../shared/zod";
import { envBool as bool, envInt as int, parseEnv } from "../../shared/config";
import { RegionSchema } from "../../shared/schemas/region";

export const RemediationConfigSchema = z.object({
  /** Log the plan and change nothing. */
  dryRun: z.boolean(),
  /** `replace`: terminate, then restore desired. `surge`: raise desired first, then terminate. */
  mode: z.enum(["replace", "surge"]),
  /** Nodes younger than this (ResourceCreatedTime) are still starting: left alone. */
  graceSeconds: z.integer().check(z.gte(0)),
  /** Short-circuit when unhealthy nodes exceed max(okUnhealthyCount, maxUnhealthyPercent% × desired). */
  maxUnhealthyPercent: z.number().check(z.gte(0), z.lte(100)),
  /** Unhealthy nodes that never count as a mass failure (cluster-autoscaler's ok-total-unready-count). */
  okUnhealthyCount: z.integer().check(z.gte(0)),
  /** Seconds after a node termination on an env before the next replacement there. */
  cooldownSeconds: z.integer().check(z.gte(0)),
  /** Replacements (terminations) per env in any rolling hour; past it, stop and alert. */
  maxReplacementsPerHour: z.integer().check(z.gte(0)),
  /** A node going abnormal within this long of its creation by a replacement is a retry. */
  retryWindowSeconds: z.integer().check(z.gte(0)),
  /** Events older than our last read of the env by more than this are stale (clock skew, second precision). */
  eventSkewSeconds: z.integer().check(z.gte(0)),
  /** The same alert (kind and env) is sent once per this many seconds per container; repeats are logged only. */
  alertRepeatSeconds: z.integer().check(z.gte(0)),
});
export type RemediationConfig = z.infer<typeof RemediationConfigSchema>;

export const DEFAULT_REMEDIATION: RemediationConfig = {
  dryRun: false,
  mode: "replace",
  graceSeconds: 600,
  maxUnhealthyPercent: 45,
  okUnhealthyCount: 1,
  cooldownSeconds: 300,
  maxReplacementsPerHour: 6,
  retryWindowSeconds: 1800,
  eventSkewSeconds: 2,
  alertRepeatSeconds: 600,
};

const EnvVarsSchema = z.looseObject({
  DRY_RUN: bool(DEFAULT_REMEDIATION.dryRun),
  REMEDIATION_MODE: z._default(z.enum(["replace", "surge"]), DEFAULT_REMEDIATION.mode),
  REMEDIATION_GRACE_SECONDS: int(DEFAULT_REMEDIATION.graceSeconds, 0, 86_400),
  REMEDIATION_MAX_UNHEALTHY_PERCENT: int(DEFAULT_REMEDIATION.maxUnhealthyPercent, 0, 100),
  REMEDIATION_OK_UNHEALTHY_COUNT: int(DEFAULT_REMEDIATION.okUnhealthyCount, 0, 2000),
  REMEDIATION_COOLDOWN_SECONDS: int(DEFAULT_REMEDIATION.cooldownSeconds, 0, 86_400),
  REMEDIATION_MAX_PER_HOUR: int(DEFAULT_REMEDIATION.maxReplacementsPerHour, 0, 2000),
  REMEDIATION_RETRY_WINDOW_SECONDS: int(DEFAULT_REMEDIATION.retryWindowSeconds, 0, 86_400),
  EVENT_SKEW_SECONDS: int(DEFAULT_REMEDIATION.eventSkewSeconds, 0, 3600),
  ALERT_REPEAT_SECONDS: int(DEFAULT_REMEDIATION.alertRepeatSeconds, 0, 86_400),
  ALERT_WEBHOOK_URL: z.optional(z.url("ALERT_WEBHOOK_URL must be a URL")),
  BATCH_ENDPOINT: z.optional(z.string().check(z.minLength(1))),
  // The secret path segment of the topic's HTTP push (push.ts); never logged.
  CMQ_PUSH_TOKEN: z.optional(z.string()),
  // No fallback: a function pointed at the wrong region would remediate nothing and say nothing.
  TENCENTCLOUD_REGION: RegionSchema,
});

export interface FunctionConfig {
  remediation: RemediationConfig;
  alertWebhookUrl: string | undefined;
  batchEndpoint: string | undefined;
  region: string;
  /** CMQ_PUSH_TOKEN: pushes to POST /cmq/<token> are refused (503) without it. */
  pushToken: string | undefined;
}

/** Reads the function's configuration; throws `config_invalid` naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): FunctionConfig {
  const v = parseEnv(EnvVarsSchema, env);
  return {
    remediation: {
      dryRun: v.DRY_RUN,
      mode: v.REMEDIATION_MODE,
      graceSeconds: v.REMEDIATION_GRACE_SECONDS,
      maxUnhealthyPercent: v.REMEDIATION_MAX_UNHEALTHY_PERCENT,
      okUnhealthyCount: v.REMEDIATION_OK_UNHEALTHY_COUNT,
      cooldownSeconds: v.REMEDIATION_COOLDOWN_SECONDS,
      maxReplacementsPerHour: v.REMEDIATION_MAX_PER_HOUR,
      retryWindowSeconds: v.REMEDIATION_RETRY_WINDOW_SECONDS,
      eventSkewSeconds: v.EVENT_SKEW_SECONDS,
      alertRepeatSeconds: v.ALERT_REPEAT_SECONDS,
    },
    alertWebhookUrl: v.ALERT_WEBHOOK_URL,
    batchEndpoint: v.BATCH_ENDPOINT,
    region: v.TENCENTCLOUD_REGION,
    pushToken: v.CMQ_PUSH_TOKEN || undefined,
  };
}
