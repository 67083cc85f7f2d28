// SCF entry: builds the dependencies once per container (lazily, on the first event).
import { createAlerter } from "../../shared/alerts";
import { createTencentBatch, credentialsFromEnv } from "../../shared/batch/tencent-adapter";
import { createLogger } from "../../shared/log";
import { createReportStore } from "../../shared/report-store";
import { costConfigFromEnv } from "./config";
import { type CostRunResult, makeHandler } from "./handler";

let handler: ((event: unknown, context?: unknown) => Promise<CostRunResult>) | undefined;

function build(env: NodeJS.ProcessEnv) {
  const logger = createLogger({ function: "cost-report" });
  try {
    const config = costConfigFromEnv(env);
    // Credentials are read per request: SCF role credentials are temporary.
    const credentials = () => credentialsFromEnv(env);
    return makeHandler({
      config,
      batch: createTencentBatch({ region: config.region, endpoint: config.batchEndpoint, credentials, logger }),
      store: createReportStore({ dest: config.dest, localCosDir: config.localCosDir, credentials }),
      alerter: createAlerter({ webhookUrl: config.alertWebhookUrl, logger, source: "cost-report" }),
      logger,
    });
  } catch (e) {
    logger.error("cost-report configuration is invalid", { error: (e as Error).message });
    throw e;
  }
}

export async function main_handler(event: unknown, context: unknown): Promise<CostRunResult> {
  handler ??= build(process.env);
  return handler(event, context);
}
