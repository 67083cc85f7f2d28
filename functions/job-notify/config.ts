// job-notify's configuration, parsed once per container: the Batch client's (TENCENTCLOUD_REGION,
// BATCH_ENDPOINT, BATCH_RATES), the push token (CMQ_PUSH_TOKEN), the signing masters
// (WEBHOOK_SIGNING_KEYS, required: every delivery is signed), where deliveries may go
// (WEBHOOK_ALLOW_HOSTS, WEBHOOK_ALLOW_LOOPBACK_HTTP), the jobs API's URL for the body's link
// (JOBS_API_URL) and, on the local stack only, its dead-letter file (LOCAL_DEAD_LETTER_FILE).
import * as z from "../../shared/zod";
import { parseEnv } from "../../shared/config";
import { AppError } from "../../shared/errors";
import { RegionSchema } from "../../shared/schemas/region";
import { webhookConfigFromEnv } from "../../shared/webhooks/config";
import type { DestinationPolicy } from "../../shared/webhooks/destination";
import { signingKeysFromEnv } from "../../shared/webhooks/secrets";

const EnvSchema = z.looseObject({
  TENCENTCLOUD_REGION: RegionSchema,
  BATCH_ENDPOINT: z.optional(z.string()),
  // The secret path segment of the topic's HTTP push; never logged.
  CMQ_PUSH_TOKEN: z.optional(z.string()),
  JOBS_API_URL: z.optional(z.url({ protocol: /^https?$/, message: "JOBS_API_URL must be the jobs function's http(s) URL" })),
  LOCAL_DEAD_LETTER_FILE: z.optional(z.string()),
});

export interface NotifyConfig {
  region: string;
  batchEndpoint: string | undefined;
  pushToken: string | undefined;
  masters: string[];
  destination: DestinationPolicy;
  jobsApiUrl: string | undefined;
  deadLetterFile: string | undefined;
}

/** Throws config_invalid naming the variable (never a secret's value). */
export function loadConfig(env: NodeJS.ProcessEnv): NotifyConfig {
  const v = parseEnv(EnvSchema, env);
  const masters = signingKeysFromEnv(env);
  if (masters.length === 0)
    throw new AppError("config_invalid", "WEBHOOK_SIGNING_KEYS: required (job-notify signs every delivery; e.g. openssl rand -hex 32)", { status: 500, expose: false });
  return {
    region: v.TENCENTCLOUD_REGION,
    batchEndpoint: v.BATCH_ENDPOINT,
    pushToken: v.CMQ_PUSH_TOKEN || undefined,
    masters,
    destination: webhookConfigFromEnv(env).destination,
    jobsApiUrl: v.JOBS_API_URL,
    deadLetterFile: v.LOCAL_DEAD_LETTER_FILE,
  };
}
