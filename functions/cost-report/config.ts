// The cost-report function's configuration, parsed from the environment once per container.
import { z } from "zod";
import { checkCosPath } from "../../shared/schemas/paths";
import { parseEnv } from "../../shared/config";
import { RegionSchema } from "../../shared/schemas/region";
import { type Budgets, budgetsFromEnv } from "./budgets";
import { type PriceTable, priceTableFromEnv } from "../../shared/prices";
import { DEFAULT_TIME_ZONE, isValidTimeZone } from "./window";

const optional = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v.trim()));

export const CostEnvSchema = z
  .object({
  TENCENTCLOUD_REGION: RegionSchema,
  BATCH_ENDPOINT: optional,
  COST_REPORT_DEST: z
    .string()
    .trim()
    .superRefine((v, ctx) => {
      const c = checkCosPath(v);
      if (!c.ok) ctx.addIssue({ code: "custom", message: c.rule });
    }),
  COST_PRICES: optional,
  COST_BUDGETS: optional,
  ALERT_WEBHOOK_URL: optional.pipe(z.string().regex(/^https?:\/\/[^\s/]+/, "an http(s) URL").optional()),
  IDLE_ALERT_HOURS: optional.pipe(z.coerce.number().finite().min(0).max(24 * 31).optional()),
  REPORT_TIME_ZONE: optional.pipe(
    z
      .string()
      .refine(isValidTimeZone, "an IANA time zone such as Asia/Shanghai")
      .optional(),
  ),
  LOCAL_COS_DIR: optional,
  })
  .passthrough();

export interface CostConfig {
  region: string;
  batchEndpoint: string | undefined;
  dest: string;
  prices: PriceTable;
  budgets: Budgets;
  alertWebhookUrl: string | undefined;
  idleAlertHours: number;
  timeZone: string;
  localCosDir: string | undefined;
}

export const DEFAULT_IDLE_ALERT_HOURS = 24;

export function costConfigFromEnv(env: NodeJS.ProcessEnv = process.env): CostConfig {
  const e = parseEnv(CostEnvSchema, env);
  return {
    region: e.TENCENTCLOUD_REGION,
    batchEndpoint: e.BATCH_ENDPOINT,
    dest: e.COST_REPORT_DEST.endsWith("/") ? e.COST_REPORT_DEST : `${e.COST_REPORT_DEST}/`,
    prices: priceTableFromEnv(e.COST_PRICES),
    budgets: budgetsFromEnv(e.COST_BUDGETS),
    alertWebhookUrl: e.ALERT_WEBHOOK_URL,
    idleAlertHours: e.IDLE_ALERT_HOURS ?? DEFAULT_IDLE_ALERT_HOURS,
    timeZone: e.REPORT_TIME_ZONE ?? DEFAULT_TIME_ZONE,
    localCosDir: e.LOCAL_COS_DIR,
  };
}
