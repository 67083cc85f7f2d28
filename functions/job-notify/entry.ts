// The job-notify function: dependencies from the environment (once per container, on the first
// event; shared/entry.ts says what a bad value does), and the handler over any of them. Batch's job
// and task events arrive pushed by the job-events topic to the Function URL (`POST /cmq/<token>`,
// shared/triggers/push-endpoint.ts, as node-abnormal's do).
import { appendFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { batchRegionsFor } from "../../shared/batch/config";
import { getJob } from "../../shared/batch/operations";
import { lazyEntry } from "../../shared/entry";
import type { Logger } from "../../shared/log";
import { makePushEndpoint, type PushContext } from "../../shared/triggers/push-endpoint";
import { loadConfig, type NotifyConfig } from "./config";
import { makeDeliver } from "./deliver";
import { type DeadLetter, type HandlerDeps, makeHandler as makeNotify } from "./handler";

export interface JobNotifyDeps extends HandlerDeps {
  config: NotifyConfig;
}

/** Delivery attempts per event: the first and up to 4 retries, backoff 0.5, 1, 2… s (within the push's budget). */
export const DELIVERY_RETRY = { maxAttempts: 5, baseMs: 500, capMs: 4000 } as const;

export function fromEnv(env: NodeJS.ProcessEnv, logger: Logger): JobNotifyDeps {
  const config = loadConfig(env);
  const file = config.deadLetterFile;
  return {
    config,
    region: config.region,
    logger,
    destination: config.destination,
    jobsApiUrl: config.jobsApiUrl,
    // One DescribeJob per event, in the event's region (BATCH_REGIONS); its retries end well within the push's budget.
    regions: batchRegionsFor({ getJob }, env, logger, { maxAttempts: 3, baseMs: 200, capMs: 1000, deadlineMs: 3000 }).regions,
    deliver: makeDeliver({ masters: config.masters, destination: config.destination, retry: DELIVERY_RETRY }),
    ...(file
      ? {
          deadLetter: (entry: DeadLetter) => {
            mkdirSync(dirname(file), { recursive: true });
            appendFileSync(file, `${JSON.stringify(entry)}\n`);
          },
        }
      : {}),
  };
}

export function makeHandler(deps: JobNotifyDeps) {
  const notify = makeNotify(deps);
  const push = makePushEndpoint({ name: "job-notify", handle: notify, token: deps.config.pushToken, logger: deps.logger, retryAfterSeconds: 10 });
  return (event: unknown, context?: unknown) => push(event, context as PushContext);
}

export const main_handler = lazyEntry("job-notify", fromEnv, makeHandler);
