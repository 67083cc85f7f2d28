// The cost-report function: dependencies from the environment (once per container, on the
// first event; shared/entry.ts says what a bad value does), and the handler over any of them.
// A timer event (or a direct invoke naming {from, to}) writes the report files; an HTTP event
// is GET /costs, the same report on demand.
import { type Alerter, createAlerter } from "../../shared/alerts";
import { batchRegionsFor, credentialsFromEnv } from "../../shared/batch/config";
import { COST_BATCH } from "./batch";
import { lazyEntry } from "../../shared/entry";
import { type HttpConfig, makeHttpHandler, type ScfHttpResponse } from "../../shared/http";
import { httpConfigFromEnv } from "../../shared/http/config";
import type { Logger } from "../../shared/log";
import { createReportStore, type ReportStore } from "../../shared/report-store";
import { isHttpEvent } from "../../shared/triggers/http";
import { type CostConfig, costConfigFromEnv } from "./config";
import { type CostHandlerDeps, type CostRunResult, makeHandler as makeTimerHandler } from "./handler";
import { costsRoutes } from "./routes";

export interface CostReportDeps extends HttpConfig, Pick<CostHandlerDeps, "batch" | "regions"> {
  config: CostConfig;
  store: ReportStore;
  alerter: Alerter;
  logger: Logger;
  clock?: () => Date;
}

/** Reads COST_*, REPORT_TIME_ZONE, TENCENTCLOUD_REGION, BATCH_REGIONS, …; throws AppError config_invalid naming the variable. */
export function fromEnv(env: NodeJS.ProcessEnv, logger: Logger): CostReportDeps {
  const config = costConfigFromEnv(env);
  // Credentials are read per request: SCF role credentials are temporary.
  const credentials = () => credentialsFromEnv(env);
  return {
    config,
    // One report across the served regions (default: the function's own), a Batch port each.
    regions: batchRegionsFor(COST_BATCH, env, logger).regions,
    store: createReportStore({ dest: config.dest, localCosDir: config.localCosDir, credentials }),
    alerter: createAlerter({ webhookUrl: config.alertWebhookUrl, logger, source: "cost-report" }),
    ...httpConfigFromEnv(env),
    logger,
  };
}

export function makeHandler(deps: CostReportDeps) {
  const timer = makeTimerHandler(deps);
  const http = makeHttpHandler({ routes: costsRoutes(deps), keys: deps.keys, logger: deps.logger, basePath: deps.basePath });
  return async (event: unknown, context?: unknown): Promise<CostRunResult | ScfHttpResponse> =>
    isHttpEvent(event) ? http(event, context) : timer(event, context);
}

export const main_handler = lazyEntry("cost-report", fromEnv, makeHandler);
