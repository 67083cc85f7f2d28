// The envs function: dependencies from the environment (once per container, on the first
// request; shared/entry.ts says what a bad value does), and the handler over any of them.
import { batchFromEnv } from "../../shared/batch/config";
import type { BatchPort } from "../../shared/batch/port";
import { lazyEntry } from "../../shared/entry";
import { type EnvPolicy, loadEnvPolicy } from "../../shared/env-policy";
import { type HttpConfig, type MainHandler, makeHttpHandler } from "../../shared/http";
import { httpConfigFromEnv } from "../../shared/http/config";
import type { Logger } from "../../shared/log";
import { type PriceTable, priceTableFromEnv } from "../../shared/prices";
import { envsRoutes } from "./routes";
import { createEnvsService } from "./service";

export interface EnvsDeps extends HttpConfig {
  port: BatchPort;
  policy: EnvPolicy;
  prices: PriceTable;
  region: string;
  logger: Logger;
  now?: () => number;
}

/** Reads ENV_POLICY, COST_PRICES, TENCENTCLOUD_REGION, …; throws AppError config_invalid naming the field. */
export function fromEnv(env: NodeJS.ProcessEnv, logger: Logger): EnvsDeps {
  const { batch, region } = batchFromEnv(env, logger);
  return { port: batch, policy: loadEnvPolicy(env), prices: priceTableFromEnv(env.COST_PRICES), region, ...httpConfigFromEnv(env), logger };
}

/** The envs API over any Batch port (tests pass the emulator's). */
export function makeHandler(deps: EnvsDeps): MainHandler {
  const { port, policy, prices, region, logger } = deps;
  const svc = createEnvsService({ port, policy, prices, region, logger, now: deps.now ?? Date.now });
  return makeHttpHandler({ routes: envsRoutes(svc, { region }), keys: deps.keys, logger, basePath: deps.basePath });
}

export const main_handler = lazyEntry("envs", fromEnv, makeHandler);
