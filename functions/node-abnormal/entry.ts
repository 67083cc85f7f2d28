// SCF entry: Batch compute-env events, pushed by the CMQ topic to the Function URL
// (`POST /cmq/<token>`, push.ts) or, on older deployments, as SCF CMQ trigger events; and the
// timer sweep.
// Dependencies are built once per container, on the first invocation.
import { createAlerter } from "../../shared/alerts";
import { credentialsFromEnv, ratesFromEnv } from "../../shared/batch/config";
import { createTencentBatch } from "../../shared/batch/tencent-adapter";
import { loadEnvPolicy } from "../../shared/env-policy";
import { createLogger } from "../../shared/log";
import { loadConfig } from "./config";
import { makeHandler } from "./handler";
import { isHttpEvent, makePushHandler } from "./push";

type Entry = (event: unknown, context?: { request_id?: string }) => Promise<unknown>;
let handler: Entry | undefined;

function build(): Entry {
  const config = loadConfig();
  const logger = createLogger({ function: "node-abnormal" });
  const core = makeHandler({
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
  const push = makePushHandler({ handler: core, token: config.pushToken, logger });
  return (event, context) => (isHttpEvent(event) ? push(event, context) : core(event, context));
}

export const main_handler = async (event: unknown, context?: { request_id?: string }) => {
  handler ??= build();
  return handler(event, context);
};
