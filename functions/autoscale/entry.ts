// The autoscale function: dependencies from the environment (once per container, on the first
// event; shared/entry.ts says what a bad value does), and the handler over any of them. A timer
// event (every minute) evaluates every opted-in env; an HTTP event is POST
// /envs/{EnvId}/autoscale (routes.ts), one env on demand.
import { batchFromEnv } from "../../shared/batch/config";
import { lazyEntry } from "../../shared/entry";
import { loadEnvPolicy } from "../../shared/env-policy";
import { type HttpConfig, makeHttpHandler, type ScfHttpResponse } from "../../shared/http";
import { httpConfigFromEnv } from "../../shared/http/config";
import type { Logger } from "../../shared/log";
import { isHttpEvent } from "../../shared/triggers/http";
import { autoscaleConfigFromEnv } from "./config";
import { type EvaluateDeps, type EvaluationResult, evaluate } from "./evaluate";
import { PlacementCache } from "./read";
import { autoscaleRoutes } from "./routes";

export interface AutoscaleDeps extends EvaluateDeps, HttpConfig {
  clock?: () => Date;
  /** A timer run starts no env after this long (AUTOSCALE_BUDGET_SECONDS). */
  budgetSeconds?: number;
}

/** Reads DRY_RUN, ENV_POLICY, API_KEYS, TENCENTCLOUD_REGION, …; throws AppError config_invalid naming the variable. */
export function fromEnv(env: NodeJS.ProcessEnv, logger: Logger): AutoscaleDeps {
  const config = autoscaleConfigFromEnv(env);
  return {
    batch: batchFromEnv(env, logger).batch,
    policy: loadEnvPolicy(env),
    logger,
    placements: new PlacementCache(),
    dryRun: config.dryRun,
    budgetSeconds: config.budgetSeconds,
    ...httpConfigFromEnv(env),
  };
}

/** What a timer run answers (and logs): counts, not the decisions (each has its own audit line). */
export type TimerResult = Omit<EvaluationResult, "envs">;

export function makeHandler(deps: AutoscaleDeps) {
  const clock = deps.clock ?? (() => new Date());
  const http = makeHttpHandler({ routes: autoscaleRoutes(deps), keys: deps.keys, logger: deps.logger, basePath: deps.basePath });
  return async (event: unknown, context?: unknown): Promise<TimerResult | ScfHttpResponse> => {
    if (isHttpEvent(event)) return http(event, context);
    // A timer (or any other invoke): every opted-in env. A failure to list the envs is thrown, so
    // SCF reports the run failed; the next minute's run reads again either way.
    const deadline = Date.now() + (deps.budgetSeconds ?? 40) * 1000;
    const { envs: _decisions, ...summary } = await evaluate(deps, { now: clock().getTime(), deadline });
    deps.logger.info("autoscale run", summary);
    return summary;
  };
}

export const main_handler = lazyEntry("autoscale", fromEnv, makeHandler);
