// Monthly budgets (COST_BUDGETS): total, per env, per tag, each with thresholds on the
// actual month-to-date cost and on the run-rate projection for the month.
import { z } from "zod";
import { parseJsonVar } from "../../shared/config";

export const ThresholdSchema = z
  .object({
    on: z.enum(["actual", "projected"]),
    /** Percent of the monthly amount, e.g. 80. */
    percent: z.number().finite().positive().max(1000),
  })
  .strict();
export type Threshold = z.infer<typeof ThresholdSchema>;

export const DEFAULT_THRESHOLDS: readonly Threshold[] = [
  { on: "actual", percent: 80 },
  { on: "actual", percent: 100 },
  { on: "projected", percent: 100 },
];

export const BudgetSchema = z
  .object({
    /** Amount per calendar month (report time zone), in the price table's currency. */
    monthly: z.number().finite().positive(),
    thresholds: z.array(ThresholdSchema).min(1).optional(),
  })
  .strict();

export const BudgetsSchema = z
  .object({
    total: BudgetSchema.optional(),
    /** Keyed by env id (`env-…`) or env name. */
    envs: z.record(z.string().min(1), BudgetSchema).default({}),
    /** Keyed by `key=value` of a job tag, e.g. `submitter=alice`. */
    tags: z.record(z.string().regex(/^[^=]+=.*$/, "a tag as key=value"), BudgetSchema).default({}),
  })
  .strict();
export type Budgets = z.infer<typeof BudgetsSchema>;

export const NO_BUDGETS: Budgets = { envs: {}, tags: {} };

/** COST_BUDGETS as JSON; errors name the variable and the field. */
export function budgetsFromEnv(raw: string | undefined): Budgets {
  return parseJsonVar("COST_BUDGETS", raw, BudgetsSchema.optional()) ?? NO_BUDGETS;
}

export const hasTagBudgets = (b: Budgets): boolean => Object.keys(b.tags).length > 0;
