// Autoscale's own knobs, parsed once per container. Which envs it sizes, and within which
// bounds, is the env policy's (shared/env-policy.ts, ENV_POLICY and the env's tags).
import * as z from "../../shared/zod";
import { envBool, parseEnv } from "../../shared/config";

const EnvVarsSchema = z.looseObject({
  // true: decide and log every decision, change nothing.
  DRY_RUN: envBool(false),
});

export interface AutoscaleConfig {
  dryRun: boolean;
}

/** Throws AppError config_invalid naming the variable. */
export function autoscaleConfigFromEnv(env: NodeJS.ProcessEnv): AutoscaleConfig {
  const v = parseEnv(EnvVarsSchema, env);
  return { dryRun: v.DRY_RUN };
}
