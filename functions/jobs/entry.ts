// The jobs function: dependencies from the environment (once per container, on the first
// request; shared/entry.ts says what a bad value does), and the handler over any of them.
// Credentials are read per Batch call.
import { batchFromEnv } from "../../shared/batch/config";
import type { BatchPort } from "../../shared/batch/port";
import { lazyEntry } from "../../shared/entry";
import { type HttpConfig, type MainHandler, makeHttpHandler } from "../../shared/http";
import { httpConfigFromEnv } from "../../shared/http/config";
import type { Logger } from "../../shared/log";
import { type WebhookConfig, webhookConfigFromEnv } from "../../shared/webhooks/config";
import { jobsRoutes } from "./routes";
import { createJobsService } from "./service";

export interface JobsDeps extends HttpConfig {
  batch: BatchPort;
  region: string;
  logger: Logger;
  /** Job notifications (JOB_EVENTS_TOPIC, WEBHOOK_*); absent: Notify is refused. */
  webhooks?: WebhookConfig | undefined;
}

/** Reads TENCENTCLOUD_REGION, BATCH_*, API_KEYS, API_BASE_PATH, JOB_EVENTS_TOPIC, WEBHOOK_*; throws AppError config_invalid naming the variable. */
export function fromEnv(env: NodeJS.ProcessEnv, logger: Logger): JobsDeps {
  const { batch, region } = batchFromEnv(env, logger);
  return { batch, region, ...httpConfigFromEnv(env), logger, webhooks: webhookConfigFromEnv(env) };
}

/** The jobs API over any Batch port (tests pass an in-memory one or the emulator's). */
export function makeHandler(deps: JobsDeps): MainHandler {
  const service = createJobsService({ batch: deps.batch, notifyTopic: deps.webhooks?.topic });
  return makeHttpHandler({ routes: jobsRoutes(service, { region: deps.region, webhooks: deps.webhooks }), keys: deps.keys, logger: deps.logger, basePath: deps.basePath });
}

export const main_handler = lazyEntry("jobs", fromEnv, makeHandler);
