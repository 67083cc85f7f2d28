// SCF entry of the jobs function (API Gateway and Function URL triggers). Dependencies are built
// once per container, on the first request; credentials are read per Batch call.
import type { BatchPort } from "../../shared/batch/port";
import { batchFromEnv } from "../../shared/batch/config";
import { httpEntry, type KeyRing, type MainHandler, makeHttpHandler } from "../../shared/http";
import { httpConfigFromEnv } from "../../shared/http/config";
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

/** Builds the handler from the environment; throws AppError config_invalid naming the variable. */
export function handlerFromEnv(env: NodeJS.ProcessEnv, logger: Logger): MainHandler {
  const { batch, region } = batchFromEnv(env, logger);
  const { keys, basePath } = httpConfigFromEnv(env);
  return makeHandler({ batch, region, keys, logger, basePath });
}

export const main_handler: MainHandler = httpEntry("jobs", handlerFromEnv);
