// Autoscale's own knobs, parsed once per container. Which envs it sizes, and within which
// bounds, is the env policy's (shared/env-policy.ts, ENV_POLICY and the env's tags).
import * as z from "../../shared/zod";
import { envBool, envInt, parseEnv } from "../../shared/config";

const EnvVarsSchema = z.looseObject({
  // true: decide and log every decision, change nothing.
  DRY_RUN: envBool(false),
  // A timer run starts no env after this many seconds (under the function's timeout, 55 s).
  AUTOSCALE_BUDGET_SECONDS: envInt(40, 1, 900),
});

export interface AutoscaleConfig {
  dryRun: boolean;
  budgetSeconds: number;
}

/** Throws AppError config_invalid naming the variable. */
export function autoscaleConfigFromEnv(env: NodeJS.ProcessEnv): AutoscaleConfig {
  const v = parseEnv(EnvVarsSchema, env);
  return { dryRun: v.DRY_RUN, budgetSeconds: v.AUTOSCALE_BUDGET_SECONDS };
}
