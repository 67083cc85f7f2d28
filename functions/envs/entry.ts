// SCF entry of the envs function. Configuration is read once per container, on the first
// request; a bad value (ENV_POLICY, COST_PRICES, TENCENTCLOUD_REGION) stops the function: every
// request gets a 500 and the log names the variable and the field that are wrong.
import { batchFromEnv } from "../../shared/batch/tencent-adapter";
import { loadEnvPolicy } from "../../shared/env-policy";
import { httpEntry, type MainHandler, parseApiKeys } from "../../shared/http";
import { createLogger, type Logger } from "../../shared/log";
import { priceTableFromEnv } from "../../shared/prices";
import { makeHandler } from "./handler";

export { makeHandler } from "./handler";

/** Builds the handler from the environment; throws AppError config_invalid naming the field. */
export function handlerFromEnv(env: NodeJS.ProcessEnv, logger: Logger = createLogger({ function: "envs" })): MainHandler {
  const { batch, region, basePath } = batchFromEnv(env, logger);
  return makeHandler({
    port: batch,
    policy: loadEnvPolicy(env),
    prices: priceTableFromEnv(env.COST_PRICES),
    region,
    keys: parseApiKeys(env.API_KEYS),
    logger,
    basePath,
  });
}

export const main_handler: MainHandler = httpEntry("envs", handlerFromEnv);
