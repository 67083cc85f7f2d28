// SCF entry of the envs function. Configuration is read once per container, on the first
// request; a bad value (ENV_POLICY, COST_PRICES, TENCENTCLOUD_REGION) stops the function: every
// request gets a 500 and the log names the variable and the field that are wrong.
import { z } from "zod";
import { createTencentBatch, credentialsFromEnv } from "../../shared/batch/tencent-adapter";
import { parseEnv } from "../../shared/config";
import { loadEnvPolicy } from "../../shared/env-policy";
import { httpEntry, type MainHandler, parseApiKeys } from "../../shared/http";
import { createLogger, type Logger } from "../../shared/log";
import { priceTableFromEnv } from "../cost-report/prices";
import { makeHandler } from "./handler";

export { makeHandler } from "./handler";

const ConfigSchema = z
  .object({
    TENCENTCLOUD_REGION: z.string().regex(/^[a-z]+-[a-z]+(-[a-z]+)?$/, { message: "a region such as ap-guangzhou" }),
    BATCH_ENDPOINT: z.string().optional(),
    API_BASE_PATH: z.string().optional(),
  })
  .passthrough();

/** Builds the handler from the environment; throws AppError config_invalid naming the field. */
export function handlerFromEnv(env: NodeJS.ProcessEnv, logger: Logger = createLogger({ function: "envs" })): MainHandler {
  const cfg = parseEnv(ConfigSchema, env);
  const policy = loadEnvPolicy(env);
  const prices = priceTableFromEnv(env.COST_PRICES);
  const port = createTencentBatch({
    region: cfg.TENCENTCLOUD_REGION,
    credentials: () => credentialsFromEnv(env),
    ...(cfg.BATCH_ENDPOINT ? { endpoint: cfg.BATCH_ENDPOINT } : {}),
    logger,
  });
  return makeHandler({
    port,
    policy,
    prices,
    region: cfg.TENCENTCLOUD_REGION,
    keys: parseApiKeys(env.API_KEYS),
    logger,
    basePath: cfg.API_BASE_PATH,
  });
}

export const main_handler: MainHandler = httpEntry("envs", handlerFromEnv);
