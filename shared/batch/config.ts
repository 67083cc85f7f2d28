// The Batch client as SCF configures a function: region(s), endpoint, credentials, client-side rates.
import * as z from "../zod";
import { lazy, typeError } from "../zod";
import { parseEnv, parseJsonVar } from "../config";
import { AppError } from "../errors";
import { RegionSchema } from "../schemas/region";
import type { Logger } from "../log";
import type { BatchPort } from "./port";
import { DEFAULT_RATES } from "./limiter";
import { ALL_OPERATIONS, type Operations, type PortOf, portOf } from "./operations";
import { type BatchRegions, batchRegions, RegionListSchema } from "./regions";
import { type Credentials, createBatchCore, type TencentBatchOptions } from "./tencent-adapter";

/** Credentials as SCF provides them to a function (no underscore inside SECRETID). */
export function credentialsFromEnv(env: NodeJS.ProcessEnv): Credentials {
  const secretId = env.TENCENTCLOUD_SECRETID ?? "";
  const secretKey = env.TENCENTCLOUD_SECRETKEY ?? "";
  if (!secretId || !secretKey) {
    throw new AppError("credentials_missing", "TENCENTCLOUD_SECRETID and TENCENTCLOUD_SECRETKEY must be set", {
      status: 500,
      expose: false,
    });
  }
  const token = env.TENCENTCLOUD_SESSIONTOKEN;
  return token ? { secretId, secretKey, token } : { secretId, secretKey };
}

const RatesSchema = z.optional(
  z.record(
    z.string().check(z.refine((a) => a in DEFAULT_RATES, { message: `an action this project calls: ${Object.keys(DEFAULT_RATES).join(", ")}` })),
    z
      .number(typeError("must be a number of requests per second"))
      .check(z.positive({ message: "must be above 0" }), z.lte(1000, { message: "must be at most 1000" })),
  ),
);

/**
 * The client-side quota per action and per function instance: the documented (conservative)
 * rates, with BATCH_RATES (JSON, e.g. {"SubmitJob": 20}) over them, for accounts whose quotas
 * are confirmed higher. Throws config_invalid naming the variable and the action.
 */
export function ratesFromEnv(env: NodeJS.ProcessEnv): Readonly<Record<string, number>> {
  return { ...DEFAULT_RATES, ...parseJsonVar("BATCH_RATES", env.BATCH_RATES, RatesSchema) };
}

const BatchEnvSchema = z.looseObject({
  TENCENTCLOUD_REGION: RegionSchema,
  BATCH_ENDPOINT: z.optional(z.string()),
});

/** The Batch port of `operations` in `region`, as SCF configures the function (everything but the region from `env`). */
function portsFromEnv<O extends Operations>(env: NodeJS.ProcessEnv, operations: O, logger?: Logger, retry?: TencentBatchOptions["retry"]) {
  const cfg = parseEnv(BatchEnvSchema, env);
  const rates = ratesFromEnv(env);
  const make = (region: string) =>
    portOf(
      createBatchCore({
        region,
        ...(retry ? { retry } : {}),
        credentials: () => credentialsFromEnv(env),
        rates,
        ...(cfg.BATCH_ENDPOINT ? { endpoint: cfg.BATCH_ENDPOINT } : {}),
        ...(logger ? { logger } : {}),
      }),
      operations,
    );
  return { make, region: cfg.TENCENTCLOUD_REGION, rates };
}

/**
 * The whole Batch port (every operation) of the function's own region as SCF configures it:
 * region from TENCENTCLOUD_REGION, endpoint override BATCH_ENDPOINT, credentials read per call.
 * Throws config_invalid naming the variable.
 */
export function batchFromEnv(env: NodeJS.ProcessEnv, logger?: Logger): { batch: BatchPort; region: string; rates: Readonly<Record<string, number>> } {
  const { make, region, rates } = portsFromEnv(env, ALL_OPERATIONS, logger);
  return { batch: make(region), region, rates };
}

/** Built on its first use, only when BATCH_REGIONS is set; a bundle that never reads it carries none of it. */
const RegionsEnvSchema = /* @__PURE__ */ lazy(() => z.looseObject({ BATCH_REGIONS: z.optional(RegionListSchema) }));

/**
 * The regions a function serves: BATCH_REGIONS (comma-separated, e.g. `ap-guangzhou,ap-shanghai`),
 * default the function's own TENCENTCLOUD_REGION; one Batch port per region, made on its first use,
 * each with its own client-side quotas and single-flight (Tencent's limits are per region), the
 * same credentials and endpoint. Each port has the `operations` the function calls (./operations),
 * so its bundle carries no others. `region` is the function's own. Throws config_invalid naming the variable.
 */
export function batchRegionsFor<O extends Operations>(
  operations: O,
  env: NodeJS.ProcessEnv,
  logger?: Logger,
  /** The client's retry policy, when the function's own differs (job-notify answers pushes within seconds). */
  retry?: TencentBatchOptions["retry"],
): { regions: BatchRegions<PortOf<O>>; region: string; rates: Readonly<Record<string, number>> } {
  const { make, region, rates } = portsFromEnv(env, operations, logger, retry);
  // Unset (or empty): the function's own region, without building the list's schema.
  const names = (env.BATCH_REGIONS?.trim() && parseEnv(RegionsEnvSchema, env).BATCH_REGIONS) || [region];
  return { regions: batchRegions(names, make), region, rates };
}

/** The served regions (batchRegionsFor) with the whole port in each: every operation. */
export const batchRegionsFromEnv = (env: NodeJS.ProcessEnv, logger?: Logger, retry?: TencentBatchOptions["retry"]) =>
  batchRegionsFor(ALL_OPERATIONS, env, logger, retry);
