// The envs function: dependencies from the environment (once per container, on the first
// request; shared/entry.ts says what a bad value does), and the handler over any of them.
import { batchRegionsFor } from "../../shared/batch/config";
import { ENVS_BATCH, type EnvsBatch } from "./batch";
import { type BatchRegions, oneRegion } from "../../shared/batch/regions";
import { lazyEntry } from "../../shared/entry";
import { type EnvPolicy, loadEnvPolicy } from "../../shared/env-policy";
import { type HttpConfig, type MainHandler, makeHttpHandler } from "../../shared/http";
import { httpConfigFromEnv } from "../../shared/http/config";
import type { Logger } from "../../shared/log";
import { type PriceTable, priceTableFromEnv } from "../../shared/prices";
import { envsRoutes } from "./routes";
import { createEnvsService } from "./service";

export type EnvsDeps = HttpConfig & {
  policy: EnvPolicy;
  prices: PriceTable;
  /** The function's own region (TENCENTCLOUD_REGION). */
  region: string;
  logger: Logger;
  now?: () => number;
} & (
    | { /** The Batch port of `region`, the one region served. */ port: EnvsBatch; regions?: undefined }
    | { /** The served regions (BATCH_REGIONS) and their ports. */ regions: BatchRegions<EnvsBatch>; port?: undefined }
  );

/** Reads ENV_POLICY, COST_PRICES, TENCENTCLOUD_REGION, BATCH_*, …; throws AppError config_invalid naming the field. */
export function fromEnv(env: NodeJS.ProcessEnv, logger: Logger): EnvsDeps {
  const { regions, region } = batchRegionsFor(ENVS_BATCH, env, logger);
  return { regions, policy: loadEnvPolicy(env), prices: priceTableFromEnv(env.COST_PRICES), region, ...httpConfigFromEnv(env), logger };
}

/** The envs API over any Batch port(s) (tests pass the emulator's). */
export function makeHandler(deps: EnvsDeps): MainHandler {
  const { policy, prices, logger } = deps;
  const regions = deps.regions ?? oneRegion(deps.region, deps.port);
  const svc = createEnvsService({ regions, policy, prices, logger, now: deps.now ?? Date.now });
  return makeHttpHandler({ routes: envsRoutes(svc, { region: deps.region, regions: regions.names }), keys: deps.keys, logger, basePath: deps.basePath });
}

export const main_handler = lazyEntry("envs", fromEnv, makeHandler);
