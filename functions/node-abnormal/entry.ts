// The node-abnormal function: dependencies from the environment (once per container, on the
// first event; shared/entry.ts says what a bad value does), and the handler over any of them.
// Batch compute-env events arrive pushed by the CMQ topic to the Function URL (`POST
// /cmq/<token>`, push.ts) or, on older deployments, as SCF CMQ trigger events; a timer sweeps.
import { type Alerter, createAlerter } from "../../shared/alerts";
import { batchRegionsFor } from "../../shared/batch/config";
import { getEnv, getEnvCreateInfo, listEnvActivities, listEnvs, setDesiredNodes, terminateNodes } from "../../shared/batch/operations";
import { lazyEntry } from "../../shared/entry";
import { type EnvPolicy, loadEnvPolicy } from "../../shared/env-policy";
import type { Logger } from "../../shared/log";
import { isHttpEvent } from "../../shared/triggers/http";
import { type FunctionConfig, loadConfig } from "./config";
import { type InvocationContext, makeRegionalHandler, type RegionalDeps } from "./handler";
import { makePushHandler } from "./push";

export interface NodeAbnormalDeps extends Omit<RegionalDeps, "config"> {
  config: FunctionConfig;
  alerter: Alerter;
  policy: EnvPolicy;
}

/** Reads REMEDIATION_*, ENV_POLICY, CMQ_PUSH_TOKEN, BATCH_REGIONS, …; throws AppError config_invalid naming the variable. */
export function fromEnv(env: NodeJS.ProcessEnv, logger: Logger): NodeAbnormalDeps {
  const config = loadConfig(env);
  return {
    config,
    // One Batch port per served region (default: the function's own), made on first use, with the operations it calls.
    regions: batchRegionsFor({ getEnv, getEnvCreateInfo, listEnvs, listEnvActivities, setDesiredNodes, terminateNodes }, env, logger).regions,
    policy: loadEnvPolicy(env),
    logger,
    alerter: createAlerter({ webhookUrl: config.alertWebhookUrl, logger, source: "node-abnormal" }),
    region: config.region,
  };
}

export function makeHandler(deps: NodeAbnormalDeps) {
  const core = makeRegionalHandler({ ...deps, config: deps.config.remediation });
  const push = makePushHandler({ handler: core, token: deps.config.pushToken, logger: deps.logger });
  return async (event: unknown, context?: unknown) =>
    isHttpEvent(event) ? push(event, context as InvocationContext) : core(event, context as InvocationContext);
}

export const main_handler = lazyEntry("node-abnormal", fromEnv, makeHandler);
