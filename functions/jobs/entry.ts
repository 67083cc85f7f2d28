// SCF entry of the jobs function (API Gateway and Function URL triggers). Dependencies are built
// once per container, on the first request; credentials are read per Batch call.
import { z } from "zod";
import type { BatchPort } from "../../shared/batch/port";
import { createTencentBatch, credentialsFromEnv } from "../../shared/batch/tencent-adapter";
import { parseEnv } from "../../shared/config";
import { httpEntry, type KeyRing, type MainHandler, makeHttpHandler, parseApiKeys } from "../../shared/http";
import type { Logger } from "../../shared/log";
import { jobsRoutes } from "./routes";
import { createJobsService } from "./service";

export interface JobsHandlerDeps {
  batch: BatchPort;
  region: string;
  keys: KeyRing;
  logger: Logger;
  basePath?: string | undefined;
}

/** The jobs API over any Batch port (tests pass an in-memory one or the emulator's). */
export function makeHandler(deps: JobsHandlerDeps): MainHandler {
  const service = createJobsService({ batch: deps.batch, region: deps.region });
  return makeHttpHandler({ routes: jobsRoutes(service), keys: deps.keys, logger: deps.logger, basePath: deps.basePath });
}

const ConfigSchema = z
  .object({
    TENCENTCLOUD_REGION: z.string().regex(/^[a-z]+-[a-z]+(-[a-z]+)?$/, { message: "a region such as ap-guangzhou" }),
    BATCH_ENDPOINT: z.string().optional(),
    API_BASE_PATH: z.string().optional(),
  })
  .passthrough();

/** Builds the handler from the environment; throws AppError config_invalid naming the variable. */
export function handlerFromEnv(env: NodeJS.ProcessEnv, logger: Logger): MainHandler {
  const cfg = parseEnv(ConfigSchema, env);
  const batch = createTencentBatch({
    region: cfg.TENCENTCLOUD_REGION,
    credentials: () => credentialsFromEnv(env),
    ...(cfg.BATCH_ENDPOINT ? { endpoint: cfg.BATCH_ENDPOINT } : {}),
    logger,
  });
  return makeHandler({ batch, region: cfg.TENCENTCLOUD_REGION, keys: parseApiKeys(env.API_KEYS), logger, basePath: cfg.API_BASE_PATH });
}

export const main_handler: MainHandler = httpEntry("jobs", handlerFromEnv);
