// SCF entry: builds the dependencies once per container (lazily, on the first event).
// A timer event writes the report files; an HTTP event (API Gateway or Function URL) is
// GET /costs, the same report on demand.
import { createAlerter } from "../../shared/alerts";
import { credentialsFromEnv, ratesFromEnv } from "../../shared/batch/config";
import { createTencentBatch } from "../../shared/batch/tencent-adapter";
import { type MainHandler, parseApiKeys } from "../../shared/http";
import { createLogger } from "../../shared/log";
import { createReportStore } from "../../shared/report-store";
import { costConfigFromEnv } from "./config";
import { type CostRunResult, makeHandler } from "./handler";
import { makeCostsHttpHandler } from "./http";

let timerHandler: ((event: unknown, context?: unknown) => Promise<CostRunResult>) | undefined;
let httpHandler: MainHandler | undefined;

function build(env: NodeJS.ProcessEnv) {
  const logger = createLogger({ function: "cost-report" });
  try {
    const config = costConfigFromEnv(env);
    // Credentials are read per request: SCF role credentials are temporary.
    const credentials = () => credentialsFromEnv(env);
    const batch = createTencentBatch({ region: config.region, endpoint: config.batchEndpoint, credentials, rates: ratesFromEnv(env), logger });
    timerHandler = makeHandler({
      config,
      batch,
      store: createReportStore({ dest: config.dest, localCosDir: config.localCosDir, credentials }),
      alerter: createAlerter({ webhookUrl: config.alertWebhookUrl, logger, source: "cost-report" }),
      logger,
    });
    httpHandler = makeCostsHttpHandler({ batch, config, keys: parseApiKeys(env.API_KEYS), logger });
  } catch (e) {
    logger.error("cost-report configuration is invalid", { error: (e as Error).message });
    throw e;
  }
}

const isHttpEvent = (event: unknown): boolean =>
  !!event && typeof event === "object" && typeof (event as { httpMethod?: unknown }).httpMethod === "string";

export async function main_handler(event: unknown, context: unknown): Promise<unknown> {
  if (!timerHandler || !httpHandler) build(process.env);
  return isHttpEvent(event) ? httpHandler!(event, context) : timerHandler!(event, context);
}
