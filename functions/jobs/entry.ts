// The jobs function: dependencies from the environment (once per container, on the first
// request; shared/entry.ts says what a bad value does), and the handler over any of them.
// Credentials are read per Batch call.
import { batchRegionsFor } from "../../shared/batch/config";
import { type BatchRegions, oneRegion } from "../../shared/batch/regions";
import { lazyEntry } from "../../shared/entry";
import { type HttpConfig, type MainHandler, makeHttpHandler } from "../../shared/http";
import { httpConfigFromEnv } from "../../shared/http/config";
import type { Logger } from "../../shared/log";
import { type WebhookConfig, webhookConfigFromEnv } from "../../shared/webhooks/config";
import { signingKeysFromEnv } from "../../shared/webhooks/secrets";
import { jobsRoutes } from "./routes";
import { JOBS_BATCH, type JobsBatch } from "./batch";
import { createJobsService } from "./service";

export type JobsDeps = HttpConfig & {
  /** The function's own region (TENCENTCLOUD_REGION). */
  region: string;
  logger: Logger;
  /** Job notifications (JOB_EVENTS_TOPIC, WEBHOOK_*); absent: Notify is refused. */
  webhooks?: WebhookConfig | undefined;
  /** WEBHOOK_SIGNING_KEYS: the masters GET /webhooks/secret derives the caller's secrets from. */
  signingKeys?: readonly string[] | undefined;
} & (
    | { /** The Batch port of `region`, the one region served. */ batch: JobsBatch; regions?: undefined }
    | { /** The served regions (BATCH_REGIONS) and their ports. */ regions: BatchRegions<JobsBatch>; batch?: undefined }
  );

/** Reads TENCENTCLOUD_REGION, BATCH_*, API_KEYS, API_BASE_PATH, JOB_EVENTS_TOPIC, WEBHOOK_*; throws AppError config_invalid naming the variable. */
export function fromEnv(env: NodeJS.ProcessEnv, logger: Logger): JobsDeps {
  const { regions, region } = batchRegionsFor(JOBS_BATCH, env, logger);
  const webhooks = webhookConfigFromEnv(env);
  const signingKeys = signingKeysFromEnv(env);
  // Without a signing key no delivery could be signed: Notify is refused as without a topic.
  return { regions, region, ...httpConfigFromEnv(env), logger, webhooks: signingKeys.length ? webhooks : { ...webhooks, topic: undefined }, signingKeys };
}

/** The jobs API over any Batch port(s) (tests pass an in-memory one or the emulator's). */
export function makeHandler(deps: JobsDeps): MainHandler {
  const regions = deps.regions ? deps.regions : oneRegion(deps.region, deps.batch);
  const service = createJobsService({ regions, notifyTopic: deps.webhooks?.topic });
  return makeHttpHandler({
    routes: jobsRoutes(service, { region: deps.region, regions: regions.names, webhooks: deps.webhooks, signingKeys: deps.signingKeys }),
    keys: deps.keys,
    logger: deps.logger,
    basePath: deps.basePath,
  });
}

export const main_handler = lazyEntry("jobs", fromEnv, makeHandler);
