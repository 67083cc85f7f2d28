// The autoscale function: dependencies from the environment (once per container, on the first
// event; shared/entry.ts says what a bad value does), and the handler over any of them. A timer
// event (every minute) evaluates every opted-in env; an HTTP event is POST
// /envs/{EnvId}/autoscale (routes.ts), one env on demand.
import { batchRegionsFor } from "../../shared/batch/config";
import { AUTOSCALE_BATCH, type AutoscaleBatch } from "./batch";
import { type BatchRegions, oneRegion } from "../../shared/batch/regions";
import { lazyEntry } from "../../shared/entry";
import { loadEnvPolicy } from "../../shared/env-policy";
import { type HttpConfig, makeHttpHandler, type ScfHttpResponse } from "../../shared/http";
import { httpConfigFromEnv } from "../../shared/http/config";
import type { Logger } from "../../shared/log";
import { isHttpEvent } from "../../shared/triggers/http";
import { autoscaleConfigFromEnv } from "./config";
import type { EvaluateDeps, EvaluationResult } from "./evaluate";
import { evaluateRegions, perRegion } from "./regions";
import { autoscaleRoutes } from "./routes";

export type AutoscaleDeps = Omit<EvaluateDeps, "batch" | "placements"> &
  HttpConfig & {
    clock?: () => Date;
    /** A timer run starts no env after this long (AUTOSCALE_BUDGET_SECONDS). */
    budgetSeconds?: number;
    /** The function's own region (TENCENTCLOUD_REGION). */
    region: string;
  } & (
    | { /** The Batch port of `region`, the one region served. */ batch: AutoscaleBatch; regions?: undefined }
    | { /** The served regions (BATCH_REGIONS) and their ports. */ regions: BatchRegions<AutoscaleBatch>; batch?: undefined }
  );

/** Reads DRY_RUN, ENV_POLICY, API_KEYS, TENCENTCLOUD_REGION, BATCH_*, …; throws AppError config_invalid naming the variable. */
export function fromEnv(env: NodeJS.ProcessEnv, logger: Logger): AutoscaleDeps {
  const config = autoscaleConfigFromEnv(env);
  const { regions, region } = batchRegionsFor(AUTOSCALE_BATCH, env, logger);
  return {
    regions,
    region,
    policy: loadEnvPolicy(env),
    logger,
    dryRun: config.dryRun,
    budgetSeconds: config.budgetSeconds,
    ...httpConfigFromEnv(env),
  };
}

/** What a timer run answers (and logs): counts, not the decisions (each has its own audit line). */
export type TimerResult = Omit<EvaluationResult, "envs">;

export function makeHandler(deps: AutoscaleDeps) {
  const clock = deps.clock ?? (() => new Date());
  const regions = deps.regions ?? oneRegion(deps.region, deps.batch);
  const inRegion = perRegion(deps, regions);
  const http = makeHttpHandler({ routes: autoscaleRoutes({ ...deps, regions, inRegion }), keys: deps.keys, logger: deps.logger, basePath: deps.basePath });
  return async (event: unknown, context?: unknown): Promise<TimerResult | ScfHttpResponse> => {
    if (isHttpEvent(event)) return http(event, context);
    // A timer (or any other invoke): every opted-in env of every served region. A region whose envs
    // cannot be listed is thrown after the others ran, so SCF reports the run failed; the next
    // minute's run reads again either way.
    const deadline = Date.now() + (deps.budgetSeconds ?? 40) * 1000;
    const { failed, ...summary } = await evaluateRegions(inRegion, regions.names, { now: clock().getTime(), deadline });
    deps.logger.info("autoscale run", failed.length > 0 ? { ...summary, failed } : summary);
    if (failed.length > 0) throw new Error(`autoscale: the envs could not be listed in ${failed.join("; ")}`);
    return summary;
  };
}

export const main_handler = lazyEntry("autoscale", fromEnv, makeHandler);
