// SCF entry: CMQ topic events (Batch compute-env events) and an optional timer sweep.
// Dependencies are built once per container, on the first invocation.
import { createAlerter } from "../../shared/alerts";
import { createTencentBatch, credentialsFromEnv, ratesFromEnv } from "../../shared/batch/tencent-adapter";
import { loadEnvPolicy } from "../../shared/env-policy";
import { createLogger } from "../../shared/log";
import { loadConfig } from "./config";
import { makeHandler } from "./handler";

let handler: ReturnType<typeof makeHandler> | undefined;

function build(): ReturnType<typeof makeHandler> {
  const config = loadConfig();
  const logger = createLogger({ function: "node-abnormal" });
  return makeHandler({
    batch: createTencentBatch({
      region: config.region,
      credentials: () => credentialsFromEnv(),
      rates: ratesFromEnv(),
      ...(config.batchEndpoint ? { endpoint: config.batchEndpoint } : {}),
      logger,
    }),
    policy: loadEnvPolicy(),
    config: config.remediation,
    logger,
    alerter: createAlerter({ webhookUrl: config.alertWebhookUrl, logger, source: "node-abnormal" }),
    region: config.region,
  });
}

export const main_handler = async (event: unknown, context?: { request_id?: string }) => {
  handler ??= build();
  return handler(event, context);
};
