// The cost-report function's configuration, parsed from the environment once per container.
import * as z from "../../shared/zod";
import { checkCosPath } from "../../shared/schemas/paths";
import { parseEnv } from "../../shared/config";
import { RegionSchema } from "../../shared/schemas/region";
import { type Budgets, budgetsFromEnv } from "./budgets";
import { type PriceTable, priceTableFromEnv } from "../../shared/prices";
import { DEFAULT_TIME_ZONE } from "./window";
import { isValidTimeZone } from "./zones";

const optional = z.pipe(
  z.optional(z.string()),
  z.transform((v) => (v === undefined || v.trim() === "" ? undefined : v.trim())),
);

export const CostEnvSchema = z.looseObject({
  // Read by batchRegionsFor (entry.ts); checked here first, so a missing region stops the function with this message.
  TENCENTCLOUD_REGION: RegionSchema,
  COST_REPORT_DEST: z.string().check(
    z.trim(),
    z.superRefine((v, ctx) => {
      const c = checkCosPath(v);
      if (!c.ok) ctx.addIssue({ code: "custom", message: c.rule });
    }),
  ),
  COST_PRICES: optional,
  COST_BUDGETS: optional,
  ALERT_WEBHOOK_URL: z.pipe(optional, z.optional(z.string().check(z.regex(/^https?:\/\/[^\s/]+/, "an http(s) URL")))),
  IDLE_ALERT_HOURS: z.pipe(optional, z.optional(z.coerce.number<string>().check(z.gte(0), z.lte(24 * 31)))),
  REPORT_TIME_ZONE: z.pipe(optional, z.optional(z.string().check(z.refine(isValidTimeZone, "an IANA time zone such as Asia/Shanghai")))),
  LOCAL_COS_DIR: optional,
});

export interface CostConfig {
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
    dest: e.COST_REPORT_DEST.endsWith("/") ? e.COST_REPORT_DEST : `${e.COST_REPORT_DEST}/`,
    prices: priceTableFromEnv(e.COST_PRICES),
    budgets: budgetsFromEnv(e.COST_BUDGETS),
    alertWebhookUrl: e.ALERT_WEBHOOK_URL,
    idleAlertHours: e.IDLE_ALERT_HOURS ?? DEFAULT_IDLE_ALERT_HOURS,
    timeZone: e.REPORT_TIME_ZONE ?? DEFAULT_TIME_ZONE,
    localCosDir: e.LOCAL_COS_DIR,
  };
}
