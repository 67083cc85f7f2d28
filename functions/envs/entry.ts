// SCF entry of the envs function. Configuration is read once per container, on the first
// request; a bad value (ENV_POLICY, COST_PRICES, TENCENTCLOUD_REGION) stops the function: every
// request gets a 500 and the log names the variable and the field that are wrong.
import { batchFromEnv } from "../../shared/batch/config";
import { loadEnvPolicy } from "../../shared/env-policy";
import { httpEntry, type MainHandler } from "../../shared/http";
import { httpConfigFromEnv } from "../../shared/http/config";
import { createLogger, type Logger } from "../../shared/log";
import { priceTableFromEnv } from "../../shared/prices";
import { makeHandler } from "./handler";

export { makeHandler } from "./handler";

/** Builds the handler from the environment; throws AppError config_invalid naming the field. */
export function handlerFromEnv(env: NodeJS.ProcessEnv, logger: Logger = createLogger({ function: "envs" })): MainHandler {
  const { batch, region } = batchFromEnv(env, logger);
  const { keys, basePath } = httpConfigFromEnv(env);
  return makeHandler({
    port: batch,
    policy: loadEnvPolicy(env),
    prices: priceTableFromEnv(env.COST_PRICES),
    region,
    keys,
    logger,
    basePath,
  });
}

export const main_handler: MainHandler = httpEntry("envs", handlerFromEnv);
