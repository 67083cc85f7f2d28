// Monthly budgets (COST_BUDGETS): total, per region, per env, per tag, each with thresholds on the
// actual month-to-date cost and on the run-rate projection for the month.
import * as z from "../../shared/zod";
import { parseJsonVar } from "../../shared/config";
import { RegionSchema } from "../../shared/schemas/region";

export const ThresholdSchema = z.strictObject({
  on: z.enum(["actual", "projected"]),
  /** Percent of the monthly amount, e.g. 80. */
  percent: z.number().check(z.positive(), z.lte(1000)),
});
export type Threshold = z.infer<typeof ThresholdSchema>;

export const DEFAULT_THRESHOLDS: readonly Threshold[] = [
  { on: "actual", percent: 80 },
  { on: "actual", percent: 100 },
  { on: "projected", percent: 100 },
];

export const BudgetSchema = z.strictObject({
  /** Amount per calendar month (report time zone), in the price table's currency. */
  monthly: z.number().check(z.positive()),
  thresholds: z.optional(z.array(ThresholdSchema).check(z.minLength(1))),
});

export const BudgetsSchema = z.strictObject({
  total: z.optional(BudgetSchema),
  /** Keyed by region (`ap-shanghai`): the cost of that region's envs (BATCH_REGIONS). */
  regions: z.optional(z.record(RegionSchema, BudgetSchema)),
  /** Keyed by env id (`env-…`) or env name. */
  envs: z._default(z.record(z.string().check(z.minLength(1)), BudgetSchema), {}),
  /** Keyed by `key=value` of a job tag, e.g. `submitter=alice`. */
  tags: z._default(z.record(z.string().check(z.regex(/^[^=]+=.*$/, "a tag as key=value")), BudgetSchema), {}),
});
export type Budgets = z.infer<typeof BudgetsSchema>;

export const NO_BUDGETS: Budgets = { envs: {}, tags: {} };

/** COST_BUDGETS as JSON; errors name the variable and the field. */
export function budgetsFromEnv(raw: string | undefined): Budgets {
  return parseJsonVar("COST_BUDGETS", raw, z.optional(BudgetsSchema)) ?? NO_BUDGETS;
}

export const hasTagBudgets = (b: Budgets): boolean => Object.keys(b.tags).length > 0;
